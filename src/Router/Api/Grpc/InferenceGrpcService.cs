using Cluster.Contracts.V1;
using Cluster.Router.Api.Text;
using Cluster.Router.Models;
using Grpc.Core;

namespace Cluster.Router.Api.Grpc;

/// <summary>
/// <c>cluster.v1.Inference</c> over the text front end: Generate streams chunks (finish reason and usage on the last),
/// Complete returns the whole output, ListModels the catalog, Cancel cancels the caller's running request by its request
/// id on any router (<see cref="RequestCancellation"/>). The call's token (client cancel, deadline, disconnect) cancels
/// the coordinator's enumeration.
/// </summary>
[BindServiceMethod(typeof(InferenceGrpcService), nameof(BindUtf8Checked))]
public class InferenceGrpcService(
    ModelCatalog catalog, RequestPreparer preparer, TextGenerator generator, RequestCancellation cancellation, ClientPrincipals principals)
{
    /// <summary>
    /// How grpc-dotnet binds this service: the generated methods, with requests refused when a string field is not
    /// UTF-8. The handlers are virtual methods declared here (not overrides of <c>Inference.InferenceBase</c>): grpc-dotnet
    /// only takes handlers whose base definition is on the type carrying <c>[BindServiceMethod]</c>.
    /// </summary>
    /// <summary>The service's descriptor (server reflection looks it up on the type <c>[BindServiceMethod]</c> names).</summary>
    public static Google.Protobuf.Reflection.ServiceDescriptor Descriptor => Inference.Descriptor;

    public static void BindUtf8Checked(ServiceBinderBase binder, InferenceGrpcService? service) => Inference.BindServiceUtf8Checked(binder);

    public virtual async Task Generate(GenerateRequest request, IServerStreamWriter<GenerateResponse> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        var prepared = Prepare(request, context);
        var id = prepared.Label;
        try
        {
            await foreach (var chunk in generator.GenerateAsync(prepared, context.CancellationToken))
            {
                var response = new GenerateResponse { RequestId = id, Text = chunk.Text, FinishReason = chunk.FinishReason };
                response.TokenIds.AddRange(chunk.TokenIds.Select(t => (uint)t));
                response.Logprobs.AddRange(Logprobs(chunk.TokenIds, chunk.Logprobs));
                if (chunk.Usage is { } usage)
                {
                    response.Usage = ToProto(usage);
                }

                await responseStream.WriteAsync(response, context.CancellationToken);
            }
        }
        catch (ApiException e)
        {
            throw GrpcErrors.ToRpc(e);
        }
    }

    public virtual async Task<CompleteResponse> Complete(GenerateRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var prepared = Prepare(request, context);
        try
        {
            var done = await generator.CompleteAsync(prepared, context.CancellationToken);
            var response = new CompleteResponse
            {
                RequestId = prepared.Label,
                Text = done.Text,
                FinishReason = done.FinishReason,
                Usage = ToProto(done.Usage),
            };
            response.TokenIds.AddRange(done.TokenIds.Select(t => (uint)t));
            response.Logprobs.AddRange(Logprobs(done.TokenIds, done.Logprobs));
            return response;
        }
        catch (ApiException e)
        {
            throw GrpcErrors.ToRpc(e);
        }
    }

    public virtual Task<ListModelsResponse> ListModels(ListModelsRequest request, ServerCallContext context)
    {
        var response = new ListModelsResponse();
        response.Models.AddRange(catalog.Models.Select(m => new ModelInfo
        {
            Id = m.Id.Value,
            MaxModelLength = (uint)m.MaxModelLength,
            OwnedBy = m.OwnedBy,
        }));
        return Task.FromResult(response);
    }

    public virtual async Task<CancelGenerationResponse> Cancel(CancelGenerationRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            await cancellation.CancelAsync(request.RequestId, principals.Of(context.GetHttpContext()), "request_id", context.CancellationToken);
            return new CancelGenerationResponse { RequestId = request.RequestId };
        }
        catch (ApiException e)
        {
            throw GrpcErrors.ToRpc(e);
        }
    }

    private PreparedRequest Prepare(GenerateRequest request, ServerCallContext context)
    {
        try
        {
            return preparer.Prepare(request, RequestFieldNames.Grpc) with { Principal = principals.Of(context.GetHttpContext()) };
        }
        catch (ApiException e)
        {
            throw GrpcErrors.ToRpc(e);
        }
    }

    private static IEnumerable<TokenLogprob> Logprobs(IReadOnlyList<int> ids, IReadOnlyList<float> logprobs) =>
        logprobs.Select((p, i) => new TokenLogprob { TokenId = (uint)ids[i], Logprob = p });

    private static Usage ToProto(GenerationUsage usage) => new()
    {
        PromptTokens = (uint)usage.PromptTokens,
        CompletionTokens = (uint)usage.CompletionTokens,
        TotalTokens = (uint)usage.TotalTokens,
        CachedPromptTokens = (uint)usage.CachedPromptTokens,
    };
}
