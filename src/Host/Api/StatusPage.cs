using System.Net;
using System.Text;

namespace Appliance.Host.Api;

/// <summary>The human status page at <c>GET /ui</c>: this node, the topology and the API's endpoints.</summary>
public static class StatusPage
{
    /// <summary>Renders the page.</summary>
    public static string Render(StatusDto self, ClusterViewDto cluster)
    {
        static string E(object? o) => WebUtility.HtmlEncode(o?.ToString() ?? "-");
        var sb = new StringBuilder();
        sb.Append("<!doctype html><html><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"2\">")
          .Append("<title>appliance ").Append(E(self.Id)).Append("</title><style>body{font-family:sans-serif;margin:2em}")
          .Append("table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}")
          .Append(".primary{background:#d4f7d4}.sync{background:#d4e8f7}.deposed{background:#f7d4d4}</style></head><body>");
        sb.Append("<h1>appliance node ").Append(E(self.Id)).Append("</h1><p>role <b>").Append(E(self.Role)).Append("</b>")
          .Append(self.ReadWrite ? " (takes writes)" : "").Append(self.SelfFenced ? " (self-fenced)" : "")
          .Append(", PostgreSQL ").Append(self.PostgresRunning ? "running" : "not running")
          .Append(" on ").Append(E(self.Host)).Append(':').Append(self.PgPort).Append("</p>");
        if (self.LastError is { } err) sb.Append("<p>last error: ").Append(E(err)).Append("</p>");
        if (cluster.State is not { } st)
        {
            sb.Append("<p>No cluster state yet: the cluster is being set up.</p>");
        }
        else
        {
            sb.Append("<h2>Cluster</h2><p>generation ").Append(st.Generation).Append(", version ").Append(st.Version)
              .Append(", initWal ").Append(E(st.InitWal)).Append(st.Singleton ? ", singleton mode" : "")
              .Append(st.Freeze is { } f ? $", <b>frozen</b> since {E(f.Since)}: {E(f.Reason)}" : "").Append("</p>");
            sb.Append("<table><tr><th>peer</th><th>role</th><th>address</th><th>PostgreSQL</th><th>read-write</th><th>timeline</th><th>WAL</th><th>lag (bytes)</th></tr>");
            foreach (var p in cluster.Peers)
                sb.Append("<tr class=\"").Append(E(p.Role)).Append("\"><td>").Append(E(p.Id)).Append("</td><td>").Append(E(p.Role))
                  .Append("</td><td>").Append(E($"{p.Host}:{p.Port}")).Append("</td><td>").Append(p.Reachable ? "up" : E("down: " + p.Error))
                  .Append("</td><td>").Append(p.ReadWrite ? "yes" : "no").Append("</td><td>").Append(E(p.Timeline))
                  .Append("</td><td>").Append(E(p.WalPosition)).Append("</td><td>").Append(E(p.LagBytes)).Append("</td></tr>");
            sb.Append("</table>");
        }
        if (cluster.LastRefusal is { } r) sb.Append("<p>coordinator: ").Append(E(r.Reason)).Append(": ").Append(E(r.Detail)).Append("</p>");
        sb.Append("<h2>API</h2><p>");
        foreach (var path in new[] { "/state", "/status", "/cluster", "/history", "/metrics", "/state/stream", "/", "/primary", "/replica", "/sync", "/async", "/health" })
            sb.Append("<a href=\"").Append(path).Append("\">").Append(path).Append("</a> ");
        sb.Append("</p></body></html>");
        return sb.ToString();
    }
}
