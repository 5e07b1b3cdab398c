namespace Appliance.Nodes.Postgres;

/// <summary>What <see cref="RepositoryClone.DecideAsync"/> read and decided.</summary>
/// <param name="Method">Repository or <c>pg_basebackup</c>, and why.</param>
/// <param name="SegmentSize">The upstream's WAL segment size (the restore names the backup's segments with it); 0 when not read.</param>
internal sealed record ReplicaPlan(CloneMethod Method, ulong SegmentSize);
