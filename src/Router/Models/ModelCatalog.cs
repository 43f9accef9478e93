using Microsoft.Extensions.Options;

namespace Cluster.Router.Models;

/// <summary>The served models, loaded once at start-up (a bad directory stops the router with the reason).</summary>
public sealed class ModelCatalog
{
    private readonly Dictionary<string, ServedModel> _byId;

    public ModelCatalog(IOptions<RouterModelsOptions> options, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(options);
        Models = options.Value.Models.Select(m => ServedModelLoader.Load(m, clock)).ToArray();
        _byId = Models.ToDictionary(m => m.Id.Value, StringComparer.Ordinal);
    }

    /// <summary>Every served model, in configuration order.</summary>
    public IReadOnlyList<ServedModel> Models { get; }

    /// <summary>
    /// The model named <paramref name="id"/>; an empty id means the only served model. Null when there is no such
    /// model, or the id is empty and there is not exactly one (<paramref name="error"/> says which).
    /// </summary>
    public ServedModel? Find(string? id, out string error)
    {
        error = "";
        if (string.IsNullOrEmpty(id))
        {
            if (Models.Count == 1)
            {
                return Models[0];
            }

            error = Models.Count == 0
                ? "This router serves no models (set Router:Models)."
                : $"'model' is required when several models are served; choose one of: {Known()}.";
            return null;
        }

        if (_byId.TryGetValue(id, out var model))
        {
            return model;
        }

        error = Models.Count == 0
            ? $"The model '{id}' does not exist: this router serves no models (set Router:Models)."
            : $"The model '{id}' does not exist; served models: {Known()}.";
        return null;
    }

    private string Known() => string.Join(", ", Models.Select(m => m.Id.Value));
}
