using Xunit.Abstractions;

[assembly: TestCollectionOrderer("Appliance.Nodes.Tests.ModelChecksFirst", "Appliance.Nodes.Tests")]

namespace Appliance.Nodes.Tests;

/// <summary>
/// Starts the spin model's collection first, so that its minutes of low-priority searches run beside all of this
/// assembly's PostgreSQL tests instead of after most of them; the others keep xunit's order.
/// </summary>
public sealed class ModelChecksFirst : ITestCollectionOrderer
{
    /// <inheritdoc />
    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.OrderBy(c => c.DisplayName.Contains(nameof(Model.ProtocolModelTests), StringComparison.Ordinal) ? 0 : 1);
}
