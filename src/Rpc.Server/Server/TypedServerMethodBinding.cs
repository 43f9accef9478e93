using Microsoft.AspNetCore.Http;

namespace Cluster.Rpc.Server;

/// <summary>Runs calls of one method: protocol checks, the handler, then the status.</summary>
internal sealed class ServerMethodBinding<TRequest, TResponse>(
    Method<TRequest, TResponse> method,
    Func<HttpServerCall<TRequest, TResponse>, Task> run) : ServerMethodBinding
{
    public override IMethod Method => method;

    public override async Task HandleAsync(HttpContext httpContext, ServerRuntime runtime)
    {
        if (!ServerProtocolChecks.Accept(httpContext))
        {
            return;
        }

        var call = new HttpServerCall<TRequest, TResponse>(httpContext, method, runtime);
        try
        {
            call.Start();
            await run(call);
        }
        catch (Exception ex)
        {
            call.SetStatusFromException(ex);
        }
        finally
        {
            call.Dispose();
        }

        call.WriteStatus();
    }
}
