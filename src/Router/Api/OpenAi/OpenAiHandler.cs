using System.Text.Json;
using Cluster.Router.Api.Text;
using Cluster.Router.Models;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cluster.Router.Api.OpenAi;

/// <summary>
/// POST /v1/completions and /v1/chat/completions: body → shared front end → coordinator → JSON or SSE. A streamed
/// response starts only once the first chunk exists, so failures before the first token keep their HTTP status;
/// a failure after it is sent as an SSE <c>error</c> event. The client going away cancels the coordinator, and so does
/// POST /v1/requests/{id}/cancel naming the request's id (the same API key, any router).
/// </summary>
public sealed partial class OpenAiHandler(
    RequestPreparer preparer, TextGenerator generator, ModelCatalog catalog, IOptions<RouterModelsOptions> options, TimeProvider clock,
    RequestCancellation cancellation, ClientPrincipals principals, ILogger<OpenAiHandler> logger)
{
    public const string RequestIdHeader = "x-request-id";

    public async Task CompletionsAsync(HttpContext context, bool chat)
    {
        ArgumentNullException.ThrowIfNull(context);
        var aborted = context.RequestAborted;
        try
        {
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            {
                limit.MaxRequestBodySize = options.Value.MaxRequestBytes + 1;
            }

            var body = await OpenAiBodyReader.ReadAsync(context, options.Value.MaxRequestBytes);
            var headerId = context.Request.Headers[RequestIdHeader].ToString();
            var (request, shape) = OpenAiRequestMapper.Map(body, chat, headerId.Length > 0 ? headerId : null);
            var prepared = preparer.Prepare(request, RequestFieldNames.OpenAi) with { Principal = principals.Of(context) };
            context.Response.Headers[RequestIdHeader] = prepared.Label;
            var builder = new OpenAiResponseBuilder(prepared, clock.GetUtcNow().ToUnixTimeSeconds(), chat);
            if (shape.Stream)
            {
                await OpenAiSseWriter.StreamAsync(context, generator.GenerateAsync(prepared, aborted), builder, shape, chat);
                return;
            }

            var done = await generator.CompleteAsync(prepared, aborted);
            context.Response.ContentType = "application/json";
            if (chat)
            {
                await JsonSerializer.SerializeAsync(context.Response.Body, builder.Chat(done, shape.Logprobs), OpenAiJsonContext.Default.ChatCompletionResponse, aborted);
            }
            else
            {
                await JsonSerializer.SerializeAsync(context.Response.Body, builder.Completion(done, shape.Logprobs), OpenAiJsonContext.Default.CompletionResponse, aborted);
            }
        }
        catch (ApiException e) when (!context.Response.HasStarted)
        {
            await OpenAiErrors.WriteAsync(context, e);
        }
        catch (Microsoft.AspNetCore.Http.BadHttpRequestException e) when (!context.Response.HasStarted && e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await OpenAiErrors.WriteAsync(context, new ApiException(ApiErrorKind.TooLarge,
                $"The request body is larger than {options.Value.MaxRequestBytes} bytes (Router:MaxRequestBytes)."));
        }
        catch (Exception e) when (aborted.IsCancellationRequested && e is OperationCanceledException or IOException or ApiException)
        {
            // The client went away (a write to its closed connection fails too): not an error. The coordinator's
            // enumeration was cancelled with it and its one line per request says "cancelled".
        }
        catch (Exception e) when (e is not OperationCanceledException && !context.Response.HasStarted)
        {
            LogUnexpected(logger, context.Request.Path, e);
            await OpenAiErrors.WriteAsync(context, new ApiException(ApiErrorKind.Internal, "The router failed unexpectedly; the error is in its log."));
        }
    }

    /// <summary>POST /v1/requests/{id}/cancel: 200 with <c>{"id","object":"request.cancellation","cancelled":true}</c>; 400 for a bad id; 404 when the caller has no running request with it.</summary>
    public async Task CancelAsync(HttpContext context, string id)
    {
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            await cancellation.CancelAsync(id, principals.Of(context), "id", context.RequestAborted);
            context.Response.ContentType = "application/json";
            await JsonSerializer.SerializeAsync(context.Response.Body, new OpenAiCancelResponse(id, "request.cancellation", true),
                OpenAiJsonContext.Default.OpenAiCancelResponse, context.RequestAborted);
        }
        catch (ApiException e) when (!context.Response.HasStarted)
        {
            await OpenAiErrors.WriteAsync(context, e);
        }
    }

    public Task ModelsAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var list = new OpenAiModelList("list", catalog.Models.Select(m => new OpenAiModel(m.Id.Value, "model", m.Created, m.OwnedBy)).ToArray());
        context.Response.ContentType = "application/json";
        return JsonSerializer.SerializeAsync(context.Response.Body, list, OpenAiJsonContext.Default.OpenAiModelList, context.RequestAborted);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Path} failed unexpectedly")]
    private static partial void LogUnexpected(ILogger logger, PathString path, Exception exception);
}
