using Microsoft.Extensions.Options;

namespace Cluster.Router.Models;

/// <summary>Checks <see cref="RouterModelsOptions"/> at start-up; every failure says which key to fix.</summary>
internal sealed class RouterModelsOptionsValidator : IValidateOptions<RouterModelsOptions>
{
    private static readonly string[] RequiredFiles = ["tokenizer.json", "config.json"];

    public ValidateOptionsResult Validate(string? name, RouterModelsOptions options)
    {
        var failures = new List<string>();
        if (options.MaxRequestBytes < 1024)
        {
            failures.Add($"Router:MaxRequestBytes must be at least 1024 (got {options.MaxRequestBytes}).");
        }

        if (options.ChatMaxTokensCap < 1 || options.CompletionMaxTokens < 1)
        {
            failures.Add("Router:ChatMaxTokensCap and Router:CompletionMaxTokens must be at least 1.");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Models.Count; i++)
        {
            var model = options.Models[i];
            var key = $"Router:Models:{i}";
            if (string.IsNullOrWhiteSpace(model.Id))
            {
                failures.Add($"{key}:Id is empty: give every served model an id (the name clients pass as 'model').");
            }
            else if (!seen.Add(model.Id))
            {
                failures.Add($"{key}:Id '{model.Id}' is listed twice: model ids must be unique.");
            }

            if (string.IsNullOrWhiteSpace(model.Path) || !Directory.Exists(model.Path))
            {
                failures.Add($"{key}:Path '{model.Path}' is not a directory: point it at a Hugging Face model directory.");
                continue;
            }

            foreach (var file in RequiredFiles.Where(f => !File.Exists(System.IO.Path.Combine(model.Path, f))))
            {
                failures.Add($"{key}:Path '{model.Path}' has no {file}.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
