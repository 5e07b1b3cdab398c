using Microsoft.Extensions.Logging;

namespace Appliance.Cluster.Tests.Scenarios;

/// <summary>
/// Sends one in-process node's log (Akka's, through Akka.Hosting's logger factory, and the appliance's own) to the
/// test output, prefixed with the node's name, so a failed scenario shows what each node did and why.
/// </summary>
internal sealed class NodeLogForwarder(string node, Action<string> write) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new NodeLogger(node, write);

    public void Dispose() { }

    private sealed class NodeLogger(string node, Action<string> write) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            var text = formatter(state, exception);
            if (exception is not null) text += $" ({exception.GetType().Name}: {exception.Message})";
            write($"{node} {logLevel.ToString()[..4].ToUpperInvariant()} {text}");
        }
    }
}
