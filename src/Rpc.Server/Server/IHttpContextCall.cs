using Microsoft.AspNetCore.Http;

namespace Cluster.Rpc.Server;

/// <summary>A server call served over an ASP.NET Core request (read by <c>GetHttpContext()</c>).</summary>
internal interface IHttpContextCall
{
    HttpContext HttpContext { get; }
}
