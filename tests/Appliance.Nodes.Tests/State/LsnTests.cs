using Appliance.Nodes.State;

namespace Appliance.Nodes.Tests.State;

[Trait("Category", "Unit")]
public class LsnTests
{
    [Theory]
    [InlineData("0/0", 0UL)]
    [InlineData("0/3000060", 0x3000060UL)]
    [InlineData("0/03000060", 0x3000060UL)]
    [InlineData("16/B374D848", 0x16_B374D848UL)]
    [InlineData("16/b374d848", 0x16_B374D848UL)]
    [InlineData("FFFFFFFF/FFFFFFFF", ulong.MaxValue)]
    [InlineData("1/0", 0x1_0000_0000UL)]
    public void Parse_ReadsBothHalvesWithOrWithoutPadding(string text, ulong value) =>
        Assert.Equal(value, Lsn.Parse(text).Value);

    [Theory]
    [InlineData(0UL, "0/0")]
    [InlineData(0x3000060UL, "0/3000060")]
    [InlineData(0x16_B374D848UL, "16/B374D848")]
    [InlineData(0x1_0000_0000UL, "1/0")]
    public void ToString_IsPostgresCanonicalForm_UnpaddedUpperCase(ulong value, string text) =>
        Assert.Equal(text, new Lsn(value).ToString());

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("/0")]
    [InlineData("0/")]
    [InlineData("0//0")]
    [InlineData("G/0")]
    [InlineData("-1/0")]
    [InlineData("+1/0")]
    [InlineData(" 0/0")]
    [InlineData("0/0 ")]
    [InlineData("123456789/0")]
    [InlineData("0/123456789")]
    public void TryParse_RejectsAnythingButTwoHexHalves(string? text)
    {
        Assert.False(Lsn.TryParse(text, out _));
        if (text is not null)
        {
            var error = Assert.Throws<FormatException>(() => Lsn.Parse(text));
            Assert.Contains($"'{text}'", error.Message);
        }
    }

    [Fact]
    public void Order_IsNumericNotTextual()
    {
        // "0/A0000000" sorts after "1/0" as text for a moment's glance; numerically the high half wins.
        Assert.True(Lsn.Parse("0/FFFFFFFF") < Lsn.Parse("1/0"));
        Assert.True(Lsn.Parse("0/9") < Lsn.Parse("0/10"));
        Assert.True(Lsn.Parse("0/03000060") == Lsn.Parse("0/3000060"));
        Assert.True(Lsn.Parse("A/0") > Lsn.Parse("9/FFFFFFFF"));
        var sorted = new[] { "1/0", "0/10", "0/9", "0/0" }.Select(Lsn.Parse).Order().Select(l => l.ToString());
        Assert.Equal(["0/0", "0/9", "0/10", "1/0"], sorted);
    }

    [Fact]
    public void Arithmetic_AddsBytesAndMeasuresDistance()
    {
        var a = Lsn.Parse("0/FFFFFFF0");
        Assert.Equal("1/0", (a + 0x10).ToString());
        Assert.Equal(0x10UL, Lsn.Parse("1/0") - a);
        Assert.Equal(0UL, a - Lsn.Parse("1/0"));
        Assert.Equal(Lsn.Parse("1/0"), Lsn.Max(a, Lsn.Parse("1/0")));
        Assert.Throws<OverflowException>(() => new Lsn(ulong.MaxValue) + 1);
        Assert.Equal(Lsn.Zero, Lsn.Parse("0/0"));
    }

    [Fact]
    public void RoundTrip_HoldsForManyValues()
    {
        var random = new Random(42);
        for (var i = 0; i < 1000; i++)
        {
            var lsn = new Lsn((ulong)random.NextInt64() ^ ((ulong)random.Next() << 40));
            Assert.Equal(lsn, Lsn.Parse(lsn.ToString()));
        }
    }
}
