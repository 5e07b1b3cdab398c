namespace Appliance.Host.Demo;

/// <summary>One node of the demo.</summary>
/// <param name="Name">Its id.</param>
/// <param name="PgPort">PostgreSQL port.</param>
/// <param name="HttpPort">HTTP port.</param>
/// <param name="AkkaPort">Akka port.</param>
/// <param name="DataDir">Its data directory.</param>
public sealed record DemoNode(string Name, int PgPort, int HttpPort, int AkkaPort, string DataDir)
{
    /// <summary>Its HTTP URL.</summary>
    public string Url => $"https://127.0.0.1:{HttpPort}";
}
