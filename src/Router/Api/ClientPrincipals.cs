using System.Security.Cryptography;
using System.Text;
using Cluster.Hosting.Auth;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Cluster.Router.Api;

/// <summary>
/// Who a client call comes from, for cancels by request id (only the principal that started a request may cancel it):
/// with <c>Auth:ApiKeys</c> set, <c>key:</c> + the SHA-256 of the presented API key (hex; the key itself is never
/// stored or sent between routers); without keys (auth off, loopback), every caller is <see cref="Anonymous"/>.
/// The credential middleware has checked the key before any handler runs.
/// </summary>
public sealed class ClientPrincipals(IOptionsMonitor<AuthOptions> auth)
{
    /// <summary>The one principal of a router without API keys.</summary>
    public const string Anonymous = "anonymous";

    /// <summary>The principal of <paramref name="context"/>'s caller.</summary>
    public string Of(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (auth.CurrentValue.ApiKeys.Count == 0)
        {
            return Anonymous;
        }

        var header = context.Request.Headers.Authorization.ToString();
        var key = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && header.Length > 7 ? header[7..].Trim() : "";
        return key.Length == 0 ? Anonymous : Fingerprint(key);
    }

    /// <summary><c>key:</c> + lowercase hex SHA-256 of <paramref name="apiKey"/>.</summary>
    public static string Fingerprint(string apiKey) =>
        "key:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(apiKey)));
}
