using Cluster.Router.Coordination;
using Cluster.Router.Models;

namespace Cluster.Router.Api.Text;

/// <summary>A validated, tokenized request and what the front end keeps for itself (stop strings, the model's tokenizer).</summary>
/// <param name="Model">The served model.</param>
/// <param name="Request">What the coordinator runs.</param>
/// <param name="StopStrings">Stop strings, applied to the detokenized output by the front end.</param>
public sealed record PreparedRequest(ServedModel Model, TokenizedRequest Request, IReadOnlyList<string> StopStrings)
{
    /// <summary>The id the client sees (its own request id, else one made up for it); never the internal id.</summary>
    public string Label => Request.Label.Length > 0 ? Request.Label : Request.Id.Value;

    /// <summary>
    /// True when the client sent no request id and <see cref="Label"/> is a fresh random one made up by this router: no
    /// other request can hold it, so the router tier's cluster-wide claim needs no answer before the first worker call.
    /// </summary>
    public bool LabelChosenByRouter { get; init; }

    /// <summary>Who sent it (<see cref="ClientPrincipals"/>): only this principal may cancel it by its request id.</summary>
    public string Principal { get; init; } = ClientPrincipals.Anonymous;
}
