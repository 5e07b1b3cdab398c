namespace Appliance.Host.Api.Access;

/// <summary>What a request may do: nothing beyond the open endpoints, read the protected ones, or change the cluster.</summary>
public enum ApiAccessLevel
{
    /// <summary>No token, or a wrong one.</summary>
    None,

    /// <summary>The read token: <c>/cluster</c>, <c>/history</c>, <c>/metrics</c>, <c>/state</c>, <c>/state/stream</c> <c>/backups</c> and <c>GET /config</c> (the dashboard's own files are open).</summary>
    Read,

    /// <summary>The write token: every change (and every read).</summary>
    Operate,
}
