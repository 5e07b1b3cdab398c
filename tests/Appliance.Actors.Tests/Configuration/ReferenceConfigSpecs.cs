using System.Globalization;
using System.Text.RegularExpressions;
using Akka.Configuration;
using Appliance.Actors.Coordinator;
using Appliance.Actors.Formation;
using Appliance.Actors.Instance;
using Appliance.Actors.Placement;

namespace Appliance.Actors.Tests.Configuration;

/// <summary>
/// <c>src/Actors/reference.conf</c> is the one source of the <c>appliance.*</c> defaults: each settings class's
/// <c>Default</c> is its section, every key of a section is read, and a value given over it wins.
/// </summary>
[Trait("Category", "Unit")]
public sealed class ReferenceConfigSpecs
{
    private static TimeSpan Ms(int ms) => TimeSpan.FromMilliseconds(ms);

    /// <summary>Each section of the reference; <see cref="Read"/> knows the settings class that reads it.</summary>
    private static readonly string[] SectionNames = ["appliance.coordinator", "appliance.node", "appliance.formation", "appliance.placement"];

    /// <summary>
    /// Sections of the reference that the host reads (its self-restart watches), tested in Appliance.Host.Tests'
    /// <c>ReferenceConfigTests</c>: this assembly does not see the host.
    /// </summary>
    private static readonly string[] HostSectionNames = ["appliance.self-restart"];

    public static TheoryData<string> Sections => new(SectionNames);

    private static object Read(string section, Config config) => section switch
    {
        "appliance.coordinator" => CoordinatorSettings.FromConfig(config),
        "appliance.node" => DatabaseNodeSettings.FromConfig(config),
        "appliance.formation" => FormationSettings.FromConfig(config),
        "appliance.placement" => PlacementSettings.FromConfig(config),
        _ => throw new ArgumentOutOfRangeException(nameof(section), section, "no settings class reads it"),
    };

    [Fact]
    public void The_reference_holds_exactly_the_sections_the_settings_classes_and_the_host_read_and_no_akka_keys()
    {
        var root = ActorsConfig.Reference.Root.GetObject().Items;
        Assert.Equal(["appliance"], root.Keys);
        var sections = ActorsConfig.Reference.GetConfig("appliance").Root.GetObject().Items.Keys.Select(k => "appliance." + k);
        Assert.Equal(SectionNames.Concat(HostSectionNames).Order(), sections.Order());
    }

    [Fact]
    public void The_defaults_are_the_documented_reference_values()
    {
        var node = DatabaseNodeSettings.Default;
        Assert.Equal(Ms(500), node.ReportInterval);
        Assert.Equal(Ms(1500), node.CoordinatorLease);
        Assert.Equal(TimeSpan.FromSeconds(60), node.CatchUpProgressTimeout);
        Assert.Equal(Ms(200), node.MinRetryBackoff);
        Assert.Equal(TimeSpan.FromSeconds(5), node.MaxRetryBackoff);

        var formation = FormationSettings.Default;
        Assert.Equal(Ms(500), formation.ProbeInterval);
        Assert.Equal(TimeSpan.FromSeconds(2), formation.AnswerFreshness);
        Assert.Equal(TimeSpan.FromSeconds(5), formation.VoteTerm);
        Assert.Equal(TimeSpan.FromSeconds(12), formation.VotePause);
        Assert.Equal(TimeSpan.FromSeconds(3), formation.JoinRetry);

        Assert.Equal(new PlacementSettings(AllowColocation: false, StartInterval: TimeSpan.FromSeconds(2)), PlacementSettings.Default);

        var coordinator = CoordinatorSettings.Default;
        Assert.Equal(Ms(500), coordinator.EvaluationInterval);
        Assert.Equal(Ms(2000), coordinator.TopicRepublishInterval);
        // A subscriber that hears a republish in time never needs to ask the coordinator itself.
        Assert.True(coordinator.TopicRepublishInterval < Appliance.Actors.Client.ClusterStateSubscriber.DefaultSilence);
        Assert.Equal(Ms(2500), coordinator.ReportLease);
        // The timing argument of reference.conf: a partitioned primary fences itself before it can be counted absent.
        Assert.True(node.CoordinatorLease + node.ReportInterval < coordinator.ReportLease);
        Assert.True(coordinator.EvaluationInterval < node.CoordinatorLease);
    }

    [Theory]
    [MemberData(nameof(Sections))]
    public void Default_is_the_section_read_over_nothing(string section)
    {
        var defaults = section switch
        {
            "appliance.coordinator" => (object)CoordinatorSettings.Default,
            "appliance.node" => DatabaseNodeSettings.Default,
            "appliance.formation" => FormationSettings.Default,
            _ => PlacementSettings.Default,
        };
        Assert.Equal(defaults, Read(section, Config.Empty));
        Assert.Equal(defaults, Read(section, ActorsConfig.Reference));
    }

    [Theory]
    [MemberData(nameof(Sections))]
    public void Every_key_of_the_section_is_read_by_its_settings_class(string section)
    {
        var defaults = Read(section, Config.Empty);
        var keys = ActorsConfig.Reference.GetConfig(section).Root.GetObject().Items;
        Assert.NotEmpty(keys);
        foreach (var (key, value) in keys)
        {
            var changed = Read(section, ConfigurationFactory.ParseString($"{section}.{key} = {OtherThan(value.GetString())}"));
            Assert.True(!Equals(defaults, changed), $"{section}.{key} is in reference.conf but changing it changes nothing");
        }
    }

    [Fact]
    public void A_value_given_over_the_reference_wins_and_the_other_keys_keep_theirs()
    {
        var extra = ConfigurationFactory.ParseString("""
            appliance.coordinator.evaluation-interval = 200ms
            appliance.node { coordinator-lease = 2s }
            appliance.formation.join-retry = 7s
            appliance.placement.allow-colocation = on
            """);
        Assert.Equal(CoordinatorSettings.Default with { EvaluationInterval = Ms(200) }, CoordinatorSettings.FromConfig(extra));
        Assert.Equal(DatabaseNodeSettings.Default with { CoordinatorLease = TimeSpan.FromSeconds(2) }, DatabaseNodeSettings.FromConfig(extra));
        Assert.Equal(FormationSettings.Default with { JoinRetry = TimeSpan.FromSeconds(7) }, FormationSettings.FromConfig(extra));
        Assert.Equal(PlacementSettings.Default with { AllowColocation = true }, PlacementSettings.FromConfig(extra));
    }

    /// <summary>A value of the same kind as <paramref name="reference"/> that differs from it.</summary>
    private static string OtherThan(string reference) => reference switch
    {
        "on" or "true" or "yes" => "off",
        "off" or "false" or "no" => "on",
        _ when Regex.IsMatch(reference, @"^\d+$") => (int.Parse(reference, CultureInfo.InvariantCulture) + 1).ToString(CultureInfo.InvariantCulture),
        _ => reference == "1234ms" ? "4321ms" : "1234ms",
    };
}
