namespace Appliance.Actors.Tests.Support;

/// <summary>A clock the test moves by hand, for report leases and timestamps. Read from the actor's thread.</summary>
public sealed class TestClock
{
    private long _ticks = new DateTimeOffset(2026, 11, 26, 6, 0, 0, TimeSpan.Zero).UtcTicks;

    public DateTimeOffset Now => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
