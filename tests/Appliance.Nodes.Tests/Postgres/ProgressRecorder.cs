using System.Collections.Concurrent;
using Appliance.Nodes.Postgres;

namespace Appliance.Nodes.Tests.Postgres;

/// <summary>Keeps every clone progress report, synchronously (<see cref="Progress{T}"/> would post them to a thread pool).</summary>
internal sealed class ProgressRecorder : IProgress<BaseBackupProgress>
{
    public ConcurrentQueue<BaseBackupProgress> Reports { get; } = new();
    public void Report(BaseBackupProgress value) => Reports.Enqueue(value);
}
