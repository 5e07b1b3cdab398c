using System.Text;

namespace Appliance.Nodes.Postgres;

/// <summary>Reads a process's output stream and hands it on line by line, splitting at <c>\n</c> and at <c>\r</c>
/// (pg_basebackup ends progress lines with <c>\r</c> on a terminal).</summary>
internal static class OutputLines
{
    internal static async Task PumpAsync(StreamReader reader, Action<string> onLine)
    {
        var buffer = new char[4096];
        var line = new StringBuilder();
        while (true)
        {
            int read;
            try { read = await reader.ReadAsync(buffer.AsMemory()).ConfigureAwait(false); }
            catch (ObjectDisposedException) { break; }
            catch (IOException) { break; }
            if (read == 0) break;
            for (var i = 0; i < read; i++)
            {
                var c = buffer[i];
                if (c is '\n' or '\r')
                {
                    if (line.Length > 0) onLine(line.ToString());
                    line.Clear();
                }
                else line.Append(c);
            }
        }
        if (line.Length > 0) onLine(line.ToString());
    }
}
