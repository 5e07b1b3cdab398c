using Appliance.Nodes.Postgres;

namespace Appliance.Nodes.Tests.Postgres;

/// <summary>The derived role passwords and the SCRAM verifiers the driver compares them with.</summary>
[Trait("Category", "Unit")]
public sealed class RoleSecretsTests
{
    [Fact]
    public void A_derived_password_is_HMAC_SHA256_of_the_purpose_under_the_secret_in_base64url_so_every_node_computes_the_same()
    {
        // Pinned (computed with Python's hmac): every node, whatever its version, must derive the same password.
        Assert.Equal("BCtkiqjyceGZC1doQS9JR2njbYfXtC42PwNGThwUds4", DerivedPassword.Derive("s3cret", DerivedPassword.ReplicationPurpose));
        Assert.Equal("MrbXGAsYzi7ScfA8waV5zb6tkOzuSfNon2N1zmryyg8", DerivedPassword.Derive("s3cret", DerivedPassword.MonitorPurpose));
        Assert.Equal(DerivedPassword.Derive("s3cret", "x"), DerivedPassword.Derive("s3cret", "x"));
    }

    [Fact]
    public void Derived_passwords_differ_by_purpose_and_secret_and_need_no_quoting()
    {
        const string secret = "s3cret 'super' \\pw";
        var replication = DerivedPassword.Derive(secret, DerivedPassword.ReplicationPurpose);
        var monitor = DerivedPassword.Derive(secret, DerivedPassword.MonitorPurpose);

        Assert.NotEqual(replication, monitor);
        Assert.NotEqual(replication, DerivedPassword.Derive(secret + "!", DerivedPassword.ReplicationPurpose));
        Assert.All([replication, monitor], p => Assert.Matches("^[A-Za-z0-9_-]{43}$", p));
        Assert.DoesNotContain("s3cret", replication);
    }

    [Fact]
    public void Production_credentials_derive_both_role_passwords_from_the_secret_alone()
    {
        var credentials = ClusterCredentials.FromSecret("s3cret");

        Assert.Equal("s3cret", credentials.SuperuserPassword);
        Assert.Equal(ClusterCredentials.DefaultReplicationUser, credentials.ReplicationUser);
        Assert.Equal(DerivedPassword.Derive("s3cret", DerivedPassword.ReplicationPurpose), credentials.ReplicationPassword);
        Assert.Equal(DerivedPassword.Derive("s3cret", DerivedPassword.MonitorPurpose), credentials.MonitorPassword);
        Assert.Equal(credentials, ClusterCredentials.FromSecret("s3cret"));
        Assert.DoesNotContain("s3cret", credentials.ToString());
    }

    [Fact]
    public void Empty_secrets_and_purposes_are_refused() =>
        Assert.Throws<ArgumentException>(() => DerivedPassword.Derive("", DerivedPassword.ReplicationPurpose));

    // Made by PostgreSQL 15 (ALTER ROLE … PASSWORD, then pg_authid.rolpassword).
    private const string PostgresVerifierOfAbc =
        "SCRAM-SHA-256$4096:LC18c041Z0IIGm0IEOGSlA==$qCID0ABRhtfo/kIK0xzFCdOvtiM9zrCRtoI8AWdT9h4=:8F/uP49wSd0ZWtNogA1Nsh0UF4U8ttXbSmqlg9b3dZQ=";

    private const string PostgresVerifierOfLong =
        "SCRAM-SHA-256$4096:lCK3UjNVnOrWybmdtm5cbQ==$ICn96XdhHuRrJodF7OqM20qDOUd1Get8LPPMUuPRzgw=:V2Ncc1P8Er1zACQXYVFj3NbROJ38204PbEVPhPJjU2g=";

    [Fact]
    public void A_verifier_PostgreSQL_made_verifies_its_password_and_no_other()
    {
        Assert.True(ScramVerifier.Verifies(PostgresVerifierOfAbc, "abc"));
        Assert.True(ScramVerifier.Verifies(PostgresVerifierOfLong, "Zx3-_derivedLikePassword0123456789abcdefghi"));
        Assert.False(ScramVerifier.Verifies(PostgresVerifierOfAbc, "abd"));
        Assert.False(ScramVerifier.Verifies(PostgresVerifierOfLong, "abc"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("md5900150983cd24fb0d6963f7d28e17f72")]
    [InlineData("SCRAM-SHA-256$4096:LC18c041Z0IIGm0IEOGSlA==")]
    [InlineData("SCRAM-SHA-256$x:LC18c041Z0IIGm0IEOGSlA==$a:b")]
    [InlineData("SCRAM-SHA-256$4096:not base64!$qCID0ABRhtfo/kIK0xzFCdOvtiM9zrCRtoI8AWdT9h4=:8F/uP49wSd0ZWtNogA1Nsh0UF4U8ttXbSmqlg9b3dZQ=")]
    public void Anything_but_a_SCRAM_verifier_of_the_password_does_not_verify_it(string? stored) =>
        Assert.False(ScramVerifier.Verifies(stored, "abc"));

    [Fact]
    public void A_verifier_made_here_is_the_one_PostgreSQL_makes_for_the_same_salt_and_verifies_its_password()
    {
        Assert.Equal(PostgresVerifierOfAbc, ScramVerifier.Create("abc", Convert.FromBase64String("LC18c041Z0IIGm0IEOGSlA=="), 4096));

        var fresh = ScramVerifier.Create("Zx3-_derived");
        Assert.StartsWith("SCRAM-SHA-256$4096:", fresh);
        Assert.True(ScramVerifier.Verifies(fresh, "Zx3-_derived"));
        Assert.NotEqual(fresh, ScramVerifier.Create("Zx3-_derived"));   // a new salt each time
    }

    [Fact]
    public void Only_ASCII_passwords_are_hashed_here_since_PostgreSQL_normalises_the_others_first()
    {
        Assert.False(ScramVerifier.CanHash("pässword"));
        Assert.Throws<ArgumentException>(() => ScramVerifier.Create("pässword"));
        Assert.False(ScramVerifier.Verifies(PostgresVerifierOfAbc, "äbc"));
    }

    [Fact]
    public void The_password_file_gives_the_role_its_password_everywhere_with_separators_escaped()
    {
        Assert.Equal("*:*:*:replicator:a\\:b\\\\c\n", ReplicationPassFile.Render("replicator", "a:b\\c"));
        Assert.Throws<ArgumentException>(() => ReplicationPassFile.Render("replicator", "a\nb"));
        Assert.Equal("/data/pg/appliance.pgpass", ReplicationPassFile.PathIn("/data/pg"));
    }

    [Fact]
    public void The_first_replication_version_is_the_purpose_of_before_rotations_and_a_role_comment_names_later_ones()
    {
        Assert.Equal(DerivedPassword.ReplicationPurpose, DerivedPassword.ReplicationPurposeOf(1));
        Assert.Equal("appliance/replication/v7", DerivedPassword.ReplicationPurposeOf(7));
        Assert.Throws<ArgumentOutOfRangeException>(() => DerivedPassword.ReplicationPurposeOf(0));
        Assert.Equal(7, ApplianceRoles.ReplicationVersionOf("appliance/replication/v7"));
        Assert.All(new string?[] { null, "", "someone's note", "appliance/replication/v", "appliance/replication/v0", "appliance/replication/v-2" },
            c => Assert.Equal(1, ApplianceRoles.ReplicationVersionOf(c)));
    }

    [Fact]
    public void A_cluster_secret_uses_its_first_candidate_and_moves_the_replication_version_only_forward()
    {
        string[] lines = ["new", "old"];
        var secret = new ClusterSecret(() => lines);
        var changes = 0;
        secret.Changed += () => changes++;
        var credentials = ClusterCredentials.FromSecret(secret);

        Assert.Equal("new", credentials.SuperuserPassword);
        Assert.Equal(DerivedPassword.Derive("new", DerivedPassword.ReplicationPurposeOf(1)), credentials.ReplicationPassword);
        Assert.True(secret.UseReplicationVersion(3));
        Assert.False(secret.UseReplicationVersion(2));   // a standby that has not replayed the rotation yet
        Assert.Equal(DerivedPassword.Derive("new", DerivedPassword.ReplicationPurposeOf(3)), credentials.ReplicationPassword);
        secret.UsePassword("old");
        Assert.Equal(("old", DerivedPassword.Derive("old", DerivedPassword.MonitorPurpose)), (credentials.SuperuserPassword, credentials.MonitorPassword));
        Assert.Equal(2, changes);
        Assert.Equal("new", secret.Newest);
        lines = ["newer", "new"];
        Assert.Equal([ClusterSecret.Fingerprint("newer"), ClusterSecret.Fingerprint("new")], secret.RefreshFingerprints());
        Assert.Equal(secret.RefreshFingerprints(), secret.Fingerprints);
    }

    [Fact]
    public void A_fingerprint_identifies_a_password_without_revealing_it()
    {
        var a = ClusterSecret.Fingerprint("s3cret");
        Assert.Equal(a, ClusterSecret.Fingerprint("s3cret"));
        Assert.NotEqual(a, ClusterSecret.Fingerprint("s3cret "));
        Assert.Matches("^[0-9a-f]{32}$", a);
        Assert.DoesNotContain("s3cret", a);
    }
}
