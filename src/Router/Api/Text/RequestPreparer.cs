using Cluster.Contracts.V1;
using Cluster.Core.Ids;
using Cluster.Router.Coordination;
using Cluster.Router.Models;
using Microsoft.Extensions.Options;

namespace Cluster.Router.Api.Text;

/// <summary>
/// The text front end shared by both APIs: resolves the model, tokenizes the prompt, checks every value and applies
/// the server defaults (max_tokens), producing what the coordinator runs. Every failure is an <see cref="ApiException"/>
/// naming the field in the caller's spelling (<see cref="RequestFieldNames"/>).
/// </summary>
public sealed class RequestPreparer(ModelCatalog catalog, IOptions<RouterModelsOptions> options)
{
    /// <summary>Most stop strings per request.</summary>
    public const int MaxStopStrings = 16;

    /// <summary>Longest client-chosen request id (a label: see <see cref="TokenizedRequest.Label"/>).</summary>
    public const int MaxRequestIdLength = 256;

    public PreparedRequest Prepare(GenerateRequest request, RequestFieldNames names)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(names);
        var model = catalog.Find(request.Model, out var error)
            ?? throw new ApiException(string.IsNullOrEmpty(request.Model) && catalog.Models.Count > 1 ? ApiErrorKind.InvalidArgument : ApiErrorKind.NotFound,
                error, names.Model);
        var stop = request.Stop?.Clone() ?? new StopConditions();
        CheckStop(stop, names);
        var prompt = PromptEncoder.Encode(request, model, names);
        if (prompt.Length >= model.MaxModelLength)
        {
            throw ApiException.Invalid(names.Prompt,
                $"{names.Prompt} is {prompt.Length} tokens but model '{model.Id}' has a context of {model.MaxModelLength} tokens: "
                + "shorten it so at least one token can be generated.");
        }

        stop.MaxTokens = (uint)ResolveMaxTokens(stop.MaxTokens, prompt.Length, request.PromptCase == GenerateRequest.PromptOneofCase.Chat, model, names);
        var sampling = SamplingValidator.Validate(request.Sampling, stop, (int)stop.MaxTokens, model.Tokenizer.VocabularySize, names);
        var stopStrings = stop.Stop.ToArray();
        stop.Stop.Clear();
        var label = LabelFor(request.RequestId, names);
        var tokenized = new TokenizedRequest(RequestId.New(), model.Id, prompt, sampling, stop, request.Logprobs, request.CacheSalt, label,
            Api: ReferenceEquals(names, RequestFieldNames.Grpc) ? "grpc" : "openai",
            Operation: request.PromptCase == GenerateRequest.PromptOneofCase.Chat ? "chat" : "text_completion");
        return new PreparedRequest(model, tokenized, stopStrings) { LabelChosenByRouter = string.IsNullOrEmpty(request.RequestId) };
    }

    private int ResolveMaxTokens(uint requested, int promptLength, bool chat, ServedModel model, RequestFieldNames names)
    {
        var room = model.MaxModelLength - promptLength;
        if (requested == 0)
        {
            var o = options.Value;
            return Math.Min(room, chat ? o.ChatMaxTokensCap : o.CompletionMaxTokens);
        }

        if (requested > room)
        {
            throw ApiException.Invalid(names.MaxTokens,
                $"{names.MaxTokens} = {requested} does not fit: the prompt is {promptLength} tokens and model '{model.Id}' has a "
                + $"context of {model.MaxModelLength}; ask for at most {room}.");
        }

        return (int)requested;
    }

    private static void CheckStop(StopConditions stop, RequestFieldNames names)
    {
        if (stop.Stop.Count > MaxStopStrings)
        {
            throw ApiException.Invalid(names.Stop, $"{names.Stop} has {stop.Stop.Count} strings; at most {MaxStopStrings} are allowed.");
        }

        for (var i = 0; i < stop.Stop.Count; i++)
        {
            if (stop.Stop[i].Length == 0)
            {
                throw ApiException.Invalid(names.Stop, $"{names.Stop}[{i}] is empty: stop strings need at least one character.");
            }
        }

    }

    // The client's id is a label only; without one the client still gets an id to quote, distinct from the internal one.
    private static string LabelFor(string requested, RequestFieldNames names)
    {
        if (string.IsNullOrEmpty(requested))
        {
            return RequestId.New().Value;
        }

        CheckRequestId(requested, names.RequestId);
        return requested;
    }

    /// <summary>A client request id is 1–<see cref="MaxRequestIdLength"/> printable ASCII characters without spaces.</summary>
    /// <exception cref="ApiException">Kind <see cref="ApiErrorKind.InvalidArgument"/> naming <paramref name="field"/>.</exception>
    public static void CheckRequestId(string requestId, string field)
    {
        ArgumentNullException.ThrowIfNull(requestId);
        if (requestId.Length == 0 || requestId.Length > MaxRequestIdLength || requestId.Any(c => c < 0x21 || c > 0x7E))
        {
            throw ApiException.Invalid(field, $"{field} must be 1–{MaxRequestIdLength} printable ASCII characters without spaces.");
        }
    }
}
