namespace Appliance.Host.Demo;

/// <summary>Options of the <c>demo</c> verb.</summary>
/// <param name="Nodes">How many nodes.</param>
/// <param name="Directory">Where the data goes; null for <see cref="DemoRunner.DefaultDirectory"/>.</param>
/// <param name="BasePort">Node i uses PostgreSQL BASE+10i, HTTP BASE+10i+1, Akka BASE+10i+2.</param>
/// <param name="Fresh">Delete existing data first.</param>
public sealed record DemoOptions(int Nodes, string? Directory, int BasePort, bool Fresh);
