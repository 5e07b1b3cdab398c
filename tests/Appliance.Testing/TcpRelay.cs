using System.Net;
using System.Net.Sockets;

namespace Appliance.Testing;

/// <summary>
/// Forwards every TCP connection it accepts on 127.0.0.1 to a target, from a chosen source address, so that the target
/// sees it come from another host. All of 127.0.0.0/8 is local on Linux, so a test can play a peer on 127.0.0.2 without
/// touching the machine's network; a client connecting directly would always come from 127.0.0.1.
/// </summary>
public sealed class TcpRelay : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly IPAddress _source;
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _pumps = [];
    private readonly Task _accepting;

    private TcpRelay(IPAddress source, IPEndPoint target)
    {
        _source = source;
        _target = target;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>The port it listens on (127.0.0.1).</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Relays to <paramref name="targetHost"/>:<paramref name="targetPort"/> from <paramref name="sourceHost"/>.</summary>
    public static TcpRelay Start(string sourceHost, string targetHost, int targetPort) =>
        new(IPAddress.Parse(sourceHost), new IPEndPoint(IPAddress.Parse(targetHost), targetPort));

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try { client = await _listener.AcceptSocketAsync(_stop.Token); }
            catch (OperationCanceledException) { return; }
            lock (_pumps) _pumps.Add(RelayAsync(client));
        }
    }

    private async Task RelayAsync(Socket client)
    {
        using (client)
        using (var outbound = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            try
            {
                outbound.Bind(new IPEndPoint(_source, 0));
                await outbound.ConnectAsync(_target, _stop.Token);
                await using var inStream = new NetworkStream(client, ownsSocket: false);
                await using var outStream = new NetworkStream(outbound, ownsSocket: false);
                // Either side closing ends both: PostgreSQL's protocol never half-closes.
                await Task.WhenAny(inStream.CopyToAsync(outStream, _stop.Token), outStream.CopyToAsync(inStream, _stop.Token));
            }
            catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
            {
                // the target refused or a side went away: the client sees its connection close
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        Task[] pumps;
        lock (_pumps) pumps = [.. _pumps];
        await Task.WhenAll(pumps);
        _stop.Dispose();
    }
}
