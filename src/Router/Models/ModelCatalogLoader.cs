using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cluster.Router.Models;

/// <summary>Loads the <see cref="ModelCatalog"/> when the host starts, so a bad model directory stops start-up with its reason.</summary>
internal sealed partial class ModelCatalogLoader(IServiceProvider services, ILogger<ModelCatalogLoader> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var catalog = services.GetRequiredService<ModelCatalog>();
        if (catalog.Models.Count == 0)
        {
            LogNoModels(logger);
        }

        foreach (var model in catalog.Models)
        {
            LogLoaded(logger, model.Id.Value, model.MaxModelLength, model.Tokenizer.VocabularySize, model.ChatTemplate is not null);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Router:Models is empty: the router serves no models and every inference request is refused.")]
    private static partial void LogNoModels(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Serving model {Model}: context {MaxModelLength} tokens, vocabulary {Vocabulary}, chat template {HasChatTemplate}.")]
    private static partial void LogLoaded(ILogger logger, string model, int maxModelLength, int vocabulary, bool hasChatTemplate);
}
