using Cluster.Core.Ids;
using Cluster.Tokenization;
using Cluster.Tokenization.Templates;

namespace Cluster.Router.Models;

/// <summary>A model the router serves: its tokenizer, chat template and context length (immutable after load).</summary>
/// <param name="Id">The id clients pass as <c>model</c>.</param>
/// <param name="Tokenizer">The model's tokenizer.</param>
/// <param name="ChatTemplate">The chat template from tokenizer_config.json; null when the model has none.</param>
/// <param name="MaxModelLength">Context length (config.json <c>max_position_embeddings</c>): prompt + output tokens.</param>
/// <param name="EosTokenIds">End-of-sequence ids (config.json <c>eos_token_id</c>, else the tokenizer's).</param>
/// <param name="OwnedBy">Shown as <c>owned_by</c>.</param>
/// <param name="Created">Unix seconds when the router loaded the model (OpenAI's <c>created</c>).</param>
public sealed record ServedModel(
    ModelId Id,
    Tokenizer Tokenizer,
    ChatTemplate? ChatTemplate,
    int MaxModelLength,
    IReadOnlyList<int> EosTokenIds,
    string OwnedBy,
    long Created);
