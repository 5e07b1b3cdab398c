using Appliance.Nodes.Postgres;
using Appliance.Nodes.State;

namespace Appliance.Nodes.Tests.Postgres;

/// <summary>A raised fence kept beside the data directory, so that a restart of the node process cannot undo it.</summary>
[Trait("Category", "Unit")]
public sealed class FenceFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fence-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_fence_and_its_owner_survive_in_the_file_until_cleared()
    {
        var file = FenceFile.Beside(Path.Combine(_dir, "pgdata") + "/");
        Assert.Equal(Path.Combine(_dir, "pgdata.appliance-fence"), file.Path);
        Assert.Null(file.Load());

        var owner = new FenceOwner("c0ffee", 7, 42);
        await file.SaveAsync(new WalFence.NameSync("n4"), owner, default);
        Assert.Equal((new WalFence.NameSync("n4"), owner), FenceFile.Beside(Path.Combine(_dir, "pgdata")).Load());
        await file.SaveAsync(WalFence.StopReceivingWal, owner with { ProbeId = 43 }, default);
        Assert.Equal((WalFence.StopReceivingWal, owner with { ProbeId = 43 }), file.Load());

        file.Clear();
        Assert.Null(file.Load());
    }

    [Fact]
    public async Task A_save_leaves_only_the_file_behind_and_a_directory_that_cannot_be_flushed_is_an_error_naming_it()
    {
        var file = FenceFile.Beside(Path.Combine(_dir, "pgdata"));
        await file.SaveAsync(WalFence.StopReceivingWal, new FenceOwner("c0ffee", 1, 1), default);
        Assert.Equal([file.Path], Directory.GetFiles(_dir));

        DurableFile.SyncDirectory(_dir);
        var missing = Path.Combine(_dir, "gone");
        var e = Assert.Throws<IOException>(() => DurableFile.SyncDirectory(missing));
        Assert.Contains(missing, e.Message);
        Assert.Contains("No such file or directory", e.Message);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"Kind":"hold-everything","PeerId":null,"Coordinator":"c","StateVersion":1,"ProbeId":1}""")]
    public void A_file_that_does_not_hold_a_fence_is_an_error_naming_it(string content)
    {
        var file = FenceFile.Beside(Path.Combine(_dir, "pgdata"));
        File.WriteAllText(file.Path, content);
        var e = Assert.Throws<InvalidDataException>(() => file.Load());
        Assert.Contains(file.Path, e.Message);
    }
}
