using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Appliance.Nodes.Postgres;

namespace Appliance.Nodes.Tests.Postgres;

/// <summary>Each kind of bad input gets an error that says what is wrong and what to do, and loses nothing.</summary>
[Trait("Category", "Postgres")]
public sealed class BadInputTests
{
    [Fact]
    public async Task Missing_binaries_name_the_package_to_install()
    {
        var e = await Assert.ThrowsAsync<PostgresBinariesNotFoundException>(() =>
            PostgresBinaries.LocateAsync("/nonexistent/postgresql/bin", default));
        Assert.Contains("postgresql-15", e.Message);
        Assert.Contains("/nonexistent/postgresql/bin", e.Message);

        await using var cluster = new TestCluster();
        var emptyRoot = Directory.CreateDirectory(Path.Combine(cluster.Path_, "no-postgres-here")).FullName;
        e = await Assert.ThrowsAsync<PostgresBinariesNotFoundException>(() => PostgresBinaries.LocateAsync(null, default, emptyRoot));
        Assert.Contains("apt-get install postgresql-15", e.Message);
    }

    [Fact]
    public void A_missing_commit_guard_library_names_the_file_and_how_to_install_it()
    {
        var libDir = Directory.CreateTempSubdirectory("appliance-no-guard-").FullName;
        try
        {
            var e = Assert.Throws<CommitGuardMissingException>(() => CommitGuard.RequireInstalled(libDir));
            Assert.Equal(Path.Combine(libDir, "appliance_guard.so"), e.LibraryPath);
            Assert.Contains(Path.Combine(libDir, "appliance_guard.so"), e.Message);
            Assert.Contains("make -C ext/appliance_guard install", e.Message);
            Assert.Contains("postgresql-server-dev-15", e.Message);

            File.WriteAllText(Path.Combine(libDir, "appliance_guard.so"), "");
            CommitGuard.RequireInstalled(libDir);
        }
        finally { Directory.Delete(libDir, recursive: true); }
    }

    [Fact]
    public async Task A_node_whose_postgresql_lacks_the_commit_guard_is_not_started_and_its_directory_is_untouched()
    {
        await using var cluster = new TestCluster();
        var binaries = await TestCluster.Binaries();
        Assert.True(File.Exists(CommitGuard.LibraryPath(binaries.PackageLibDirectory)),
            $"the real installation must have the guard (make -C ext/appliance_guard install): {binaries.PackageLibDirectory}");
        var emptyLib = Directory.CreateDirectory(Path.Combine(cluster.Path_, "lib-without-guard")).FullName;
        var p = TestCluster.Peer("p");
        var node = new PostgresDriver(cluster.Settings(p), binaries with { PackageLibDirectory = emptyLib });
        await node.InitializeAsync(default);
        var before = Snapshot(node.DataDirectory.Path);

        var e = await Assert.ThrowsAsync<CommitGuardMissingException>(() => node.StartPrimaryAsync(TestCluster.Peer("s"), default));
        Assert.Contains(Path.Combine(emptyLib, "appliance_guard.so"), e.Message);
        Assert.False(node.IsRunning);
        Assert.Equal(before, Snapshot(node.DataDirectory.Path));
    }

    [Fact]
    public async Task A_port_in_use_is_reported_and_the_data_directory_is_untouched()
    {
        await using var cluster = new TestCluster();
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port;
        var p = new Appliance.Nodes.State.PeerId("p", "127.0.0.1", port);
        var node = await cluster.NodeAsync(p);
        await node.InitializeAsync(default);
        var before = Snapshot(node.DataDirectory.Path);

        var e = await Assert.ThrowsAsync<PortInUseException>(() => node.StartPrimaryAsync(TestCluster.Peer("s"), default));
        Assert.Equal(port, e.Port);
        Assert.Contains(port.ToString(CultureInfo.InvariantCulture), e.Message);
        Assert.False(node.IsRunning);
        Assert.Equal(before, Snapshot(node.DataDirectory.Path));
    }

    [Fact]
    public async Task A_data_directory_of_another_cluster_is_never_overwritten()
    {
        await using var cluster = new TestCluster();
        var (p, x) = (TestCluster.Peer("p"), TestCluster.Peer("x"));
        var primary = await cluster.ReadOnlyPrimaryAsync(p, x);
        var stranger = await cluster.NodeAsync(x);
        await stranger.InitializeAsync(default); // a separate initdb: another cluster
        var binaries = await TestCluster.Binaries();
        var strangerId = (await stranger.DataDirectory.ReadControlDataAsync(binaries, default)).SystemIdentifier;
        var primaryId = (await primary.DataDirectory.ReadControlDataAsync(binaries, default)).SystemIdentifier;
        var before = Snapshot(stranger.DataDirectory.Path);

        var follow = await Assert.ThrowsAsync<ForeignDataDirectoryException>(() => stranger.FollowAsync(p, null, null, default));
        Assert.Equal((strangerId, primaryId), (follow.LocalSystemIdentifier, follow.ExpectedSystemIdentifier));
        Assert.Contains(strangerId.ToString(CultureInfo.InvariantCulture), follow.Message);
        Assert.Contains(primaryId.ToString(CultureInfo.InvariantCulture), follow.Message);
        var rejoin = await Assert.ThrowsAsync<ForeignDataDirectoryException>(() => stranger.RejoinAsync(p, null, null, default));
        Assert.Equal(strangerId, rejoin.LocalSystemIdentifier);

        Assert.False(stranger.IsRunning);
        Assert.Equal(before, Snapshot(stranger.DataDirectory.Path));
        Assert.Equal(strangerId, (await stranger.DataDirectory.ReadControlDataAsync(binaries, default)).SystemIdentifier);
    }

    [Fact]
    public async Task A_data_directory_of_another_major_version_is_refused_untouched()
    {
        await using var cluster = new TestCluster();
        var node = await cluster.NodeAsync(TestCluster.Peer("p"));
        await node.InitializeAsync(default);
        File.WriteAllText(node.DataDirectory.File("PG_VERSION"), "14\n");
        var before = Snapshot(node.DataDirectory.Path);

        var e = await Assert.ThrowsAsync<WrongMajorVersionException>(() => node.StartPrimaryAsync(TestCluster.Peer("s"), default));
        Assert.Equal((14, 15), (e.Found, e.Expected));
        Assert.Contains("postgresql-14", e.Message);
        await Assert.ThrowsAsync<WrongMajorVersionException>(() => node.InitializeAsync(default));
        Assert.False(node.IsRunning);
        Assert.Equal(before, Snapshot(node.DataDirectory.Path));
    }

    [Fact]
    public async Task An_unreachable_upstream_is_reported_and_leaves_no_partial_clone()
    {
        await using var cluster = new TestCluster();
        var nobody = TestCluster.Peer("gone");
        var node = await cluster.NodeAsync(TestCluster.Peer("a"));

        var e = await Assert.ThrowsAsync<UpstreamUnreachableException>(() => node.FollowAsync(nobody, null, null, default));
        Assert.Equal(nobody, e.Upstream);
        Assert.Contains(nobody.Port.ToString(CultureInfo.InvariantCulture), e.Message);
        Assert.Equal(DataDirectoryKind.Empty, node.DataDirectory.Kind);
        Assert.False(node.IsRunning);
    }

    [Fact]
    public async Task A_clone_that_fills_the_disk_is_reported_and_removed()
    {
        Assert.True(PostgresOsUser.DriverIsRoot,
            "This test mounts a 20 MB tmpfs as the clone target and needs root for that; run the Postgres tests as root (as CI does).");
        await using var cluster = new TestCluster();
        var chain = await Chain.BuildAsync(cluster, "p", "s");
        var mount = Directory.CreateDirectory(Path.Combine(cluster.Path_, "small-disk")).FullName;
        await Shell.RunAsync("mount", "-t", "tmpfs", "-o", "size=20m,mode=0755", "tmpfs", mount);
        try
        {
            var a0 = TestCluster.Peer("a0");
            var settings = cluster.Settings(a0) with { DataDirectory = Path.Combine(mount, "data") };
            var node = await cluster.NodeAsync(a0, settings);

            var e = await Assert.ThrowsAsync<DiskFullException>(() => node.FollowAsync(chain.Peers[1], null, null, default));
            Assert.Contains(settings.DataDirectory, e.Message);
            Assert.False(Directory.Exists(settings.DataDirectory), "the partial clone was left behind");
            Assert.Empty(Directory.EnumerateFileSystemEntries(mount));
            Assert.False(node.IsRunning);
            // The upstream is unharmed and still serves its chain.
            await Sql.ExecAsync(chain[0], "INSERT INTO t VALUES (2)");
            await Sql.HasRowAsync(chain[1], 2);
        }
        finally
        {
            await Shell.RunAsync("umount", mount);
        }
    }

    /// <summary>Every file's path, size and modification time: any write would change it.</summary>
    private static string Snapshot(string dir) =>
        string.Join('\n', Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(f => new FileInfo(f)).Select(f => $"{f.FullName} {f.Length} {f.LastWriteTimeUtc.Ticks}"));
}
