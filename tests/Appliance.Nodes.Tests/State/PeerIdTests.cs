using Appliance.Nodes.State;

namespace Appliance.Nodes.Tests.State;

[Trait("Category", "Unit")]
public class PeerIdTests
{
    [Fact]
    public void Identity_IsTheIdAlone_EqualityIsStructural()
    {
        var a = new PeerId("pg-1", "10.0.0.1", 5432);
        var moved = new PeerId("pg-1", "10.0.0.9", 6432);
        Assert.True(a.Is(moved));
        Assert.True(a.Is("pg-1"));
        Assert.NotEqual(a, moved);
        Assert.Equal(a, new PeerId("pg-1", "10.0.0.1", 5432));
        Assert.Equal("pg-1@10.0.0.1:5432", a.ToString());
    }

    [Theory]
    [InlineData("", "h", 5432, "empty")]
    [InlineData("bad id", "h", 5432, "not allowed")]
    [InlineData("quote\"d", "h", 5432, "not allowed")]
    [InlineData("pg-1", "", 5432, "no host")]
    [InlineData("pg-1", "h", 0, "TCP port")]
    [InlineData("pg-1", "h", 70000, "TCP port")]
    public void Constructor_RejectsUnusableValuesWithAClearMessage(string id, string host, int port, string message)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => new PeerId(id, host, port));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Ids_LongerThanPostgresApplicationNameAllowsAreRejected()
    {
        Assert.True(PeerId.IsValidId(new string('a', 63)));
        Assert.False(PeerId.IsValidId(new string('a', 64)));
    }
}
