using System.Reflection;
using Appliance.Actors.Instance;

namespace Appliance.Cluster.Tests;

/// <summary>
/// Wraps a real <see cref="IDatabaseInstance"/> so that the first call of one of its asynchronous methods fails, as a
/// real one may (a reload refused, a connection lost); every other call goes to the real instance.
/// </summary>
public class InstanceFailingOnce : DispatchProxy
{
    private IDatabaseInstance _inner = null!;
    private string _method = "";
    private int _failed;

    /// <summary>How many calls of the method failed (0 or 1).</summary>
    public int Failures => _failed;

    /// <summary>Returns <paramref name="inner"/> with its first call of <paramref name="method"/> failing.</summary>
    public static IDatabaseInstance Wrap(IDatabaseInstance inner, string method, out InstanceFailingOnce proxy)
    {
        var wrapped = Create<IDatabaseInstance, InstanceFailingOnce>();
        proxy = (InstanceFailingOnce)(object)wrapped;
        proxy._inner = inner;
        proxy._method = method;
        return wrapped;
    }

    /// <inheritdoc />
    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        if (targetMethod.Name == _method && Interlocked.Exchange(ref _failed, 1) == 0)
            return Task.FromException(new InvalidOperationException($"injected: the first {_method} fails"));
        try
        {
            return targetMethod.Invoke(_inner, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
    }
}
