namespace Appliance.Nodes.State;

/// <summary>The outcome of evaluating the rules: nothing to do, a new state, or a refusal with its reason.</summary>
public abstract record Decision
{
    private protected Decision() { }

    /// <summary>Nothing needs to change.</summary>
    public static readonly NoChange None = new();
}
