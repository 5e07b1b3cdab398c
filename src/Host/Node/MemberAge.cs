using Akka.Actor;
using Akka.Cluster;

namespace Appliance.Host.Node;

/// <summary>
/// One cluster member as <see cref="SingletonWatch"/> weighs it: its address, status, rank in Akka's age ordering
/// (0 is the oldest; the singleton managers use the same ordering) and whether it is a database member.
/// </summary>
internal sealed record MemberAge(Address Address, MemberStatus Status, int Rank, bool IsDatabase);
