using System.Reflection;
using Appliance.Actors.Instance;

namespace Appliance.Cluster.Tests;

/// <summary>
/// Wraps a real <see cref="IDatabaseInstance"/> so that the first calls of one of its asynchronous methods fail, as a
/// real one may (a reload refused, a connection lost); every other call goes to the real instance.
/// </summary>
public class InstanceFailing : DispatchProxy
{
    private IDatabaseInstance _inner = null!;
    private string _method = "";
    private int _times;
    private int _failed;

    /// <summary>How many calls of the method failed.</summary>
    public int Failures => Volatile.Read(ref _failed);

    /// <summary>Returns <paramref name="inner"/> with its first <paramref name="times"/> calls of <paramref name="method"/> failing.</summary>
    public static IDatabaseInstance Wrap(IDatabaseInstance inner, string method, int times, out InstanceFailing proxy)
    {
        var wrapped = Create<IDatabaseInstance, InstanceFailing>();
        proxy = (InstanceFailing)(object)wrapped;
        proxy._inner = inner;
        proxy._method = method;
        proxy._times = times;
        return wrapped;
    }

    /// <inheritdoc />
    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        if (targetMethod.Name == _method && Interlocked.Increment(ref _failed) <= _times)
            return Task.FromException(new InvalidOperationException($"injected: {_method} fails"));
        if (targetMethod.Name == _method) Interlocked.Decrement(ref _failed);
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
