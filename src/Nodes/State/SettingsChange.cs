namespace Appliance.Nodes.State;

/// <summary>
/// The operator's <c>config set</c> / <c>config unset</c>: one write of <see cref="ClusterState.Settings"/>, in the same
/// generation, or a refusal that changes nothing. Names the appliance owns, malformed names and values a configuration
/// file cannot carry are refused here; whether PostgreSQL accepts a value is checked against PostgreSQL before the
/// command is submitted.
/// </summary>
internal static class SettingsChange
{
    public static Decision Decide(RuleContext ctx, IReadOnlyDictionary<string, string> set, IReadOnlyList<string> unset)
    {
        if (set.Count == 0 && unset.Count == 0)
            return new Refusal(RefusalReason.InvalidRequest, "Nothing to change: give settings to set (work_mem=8MB) or to unset.");

        var problems = new List<string>();
        var toSet = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (rawName, value) in set)
        {
            var name = ClusterSettings.Normalize(rawName);
            if (ClusterSettings.NameProblem(rawName) is { } p) problems.Add(p);
            else if (ClusterSettings.ValueProblem(name, value) is { } v) problems.Add(v);
            else if (!toSet.TryAdd(name, value)) problems.Add($"{name} is given twice");
        }
        var toUnset = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var rawName in unset)
        {
            var name = ClusterSettings.Normalize(rawName);
            if (ClusterSettings.NameProblem(rawName) is { } p) problems.Add(p);
            else if (toSet.ContainsKey(name)) problems.Add($"{name} is both set and unset");
            else if (!ctx.State.Settings.ContainsKey(name)) problems.Add($"{name} is not set, so it cannot be unset");
            else toUnset.Add(name);
        }
        if (problems.Count > 0)
            return new Refusal(RefusalReason.InvalidRequest, $"Nothing was changed: {string.Join("; ", problems)}.");

        var settings = ctx.State.Settings.SetItems(toSet).RemoveRange(toUnset);
        if (settings.SequenceEqual(ctx.State.Settings))
            return new Refusal(RefusalReason.InvalidRequest, "Nothing to change: the cluster already has these settings.");

        var parts = toSet.Where(kv => !ctx.State.Settings.TryGetValue(kv.Key, out var old) || old != kv.Value)
            .Select(kv => $"{kv.Key} = '{kv.Value}'")
            .Concat(toUnset.Select(n => $"{n} unset"));
        return new Transition(ctx.Next() with { Settings = settings }, TransitionReason.SettingsChanged,
            $"Settings changed: {string.Join(", ", parts)}. Every node reloads; a setting that needs a restart shows as pendingRestart until 'appliance restart --pending'.");
    }
}
