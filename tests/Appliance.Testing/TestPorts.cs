using System.Net;
using System.Net.Sockets;

namespace Appliance.Testing;

/// <summary>
/// Ports for the servers the tests start. Two rules keep a port from being taken between its hand-out and its bind:
/// <list type="bullet">
/// <item>They lie below the kernel's ephemeral range (32768 and up by default), so no client socket's local port can
/// be one of them. A server that restarts on its port leaves it unbound for a while, and any outgoing connection on
/// the machine could take it from the ephemeral range in that window.</item>
/// <item>Each test process takes a block of its own, held by a lock on a file that the kernel releases when the
/// process ends, so test assemblies running side by side never hand out the same port.</item>
/// </list>
/// bench/ uses 24010 and up, so the blocks stay below 24000.
/// </summary>
public static class TestPorts
{
    private const int First = 10000;
    private const int BlockSize = 2000;
    private const int Blocks = 7;
    private static readonly string LockDirectory = Path.Combine(ScratchDirectory.Root, "port-blocks");
    private static readonly Lazy<int> Block = new(ClaimBlock);
    private static readonly HashSet<int> HandedOut = [];
    private static int _cursor;
    // Held open for the life of the process: its lock is the claim.
    private static FileStream? _claim;

    /// <summary>
    /// A port of this process's block that nobody listens on. Ports are not handed out twice until the block has
    /// gone round once (2,000 hand-outs).
    /// </summary>
    public static int Next()
    {
        var first = Block.Value;
        lock (HandedOut)
        {
            for (var tried = 0; tried < BlockSize; tried++)
            {
                if (HandedOut.Count == BlockSize) HandedOut.Clear();
                var port = first + _cursor;
                _cursor = (_cursor + 1) % BlockSize;
                if (HandedOut.Add(port) && Bindable(port)) return port;
            }
        }
        throw new InvalidOperationException($"No free port in {first}-{first + BlockSize - 1}.");
    }

    private static int ClaimBlock()
    {
        ScratchDirectory.Shared(ScratchDirectory.Root);
        ScratchDirectory.Shared(LockDirectory);
        for (var block = 0; block < Blocks; block++)
        {
            var file = Path.Combine(LockDirectory, $"{First + block * BlockSize}.lock");
            try
            {
                // FileShare.None takes flock(LOCK_EX) on Linux, read access too; another process holding it makes this throw.
                _claim = new FileStream(file, FileMode.OpenOrCreate, FileAccess.Read, FileShare.None);
                return First + block * BlockSize;
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        throw new InvalidOperationException(
            $"All {Blocks} port blocks ({First}-{First + Blocks * BlockSize - 1}) are held by other test processes (locks in {LockDirectory}).");
    }

    private static bool Bindable(int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
