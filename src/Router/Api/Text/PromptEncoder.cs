using Cluster.Contracts.V1;
using Cluster.Router.Models;
using Cluster.Tokenization.Templates;

namespace Cluster.Router.Api.Text;

/// <summary>Turns the three prompt forms (text, token ids, chat) into prompt token ids; every bad prompt names the field.</summary>
internal static class PromptEncoder
{
    private static readonly HashSet<string> Roles = new(StringComparer.Ordinal) { "system", "user", "assistant", "tool", "developer" };

    public static int[] Encode(GenerateRequest request, ServedModel model, RequestFieldNames names) => request.PromptCase switch
    {
        GenerateRequest.PromptOneofCase.Text => EncodeText(request.Text, model, names),
        GenerateRequest.PromptOneofCase.TokenIds => CheckIds(request.TokenIds.Ids, model, names),
        GenerateRequest.PromptOneofCase.Chat => EncodeChat(request.Chat, model, names),
        _ => throw ApiException.Invalid(names.Prompt, $"{names.Prompt} is required: send text, token ids or chat messages."),
    };

    private static int[] EncodeText(string text, ServedModel model, RequestFieldNames names)
    {
        if (text.Length == 0)
        {
            throw ApiException.Invalid(names.Prompt, $"{names.Prompt} is empty: send at least one character.");
        }

        return model.Tokenizer.Encode(text);
    }

    private static int[] CheckIds(IReadOnlyList<uint> ids, ServedModel model, RequestFieldNames names)
    {
        if (ids.Count == 0)
        {
            throw ApiException.Invalid(names.Prompt, $"{names.Prompt} is an empty token list: send at least one token id.");
        }

        var vocabulary = model.Tokenizer.VocabularySize;
        var result = new int[ids.Count];
        for (var i = 0; i < ids.Count; i++)
        {
            if (ids[i] >= (uint)vocabulary)
            {
                throw ApiException.Invalid(names.Prompt,
                    $"{names.Prompt}[{i}] = {ids[i]} is not a token id of model '{model.Id}' (vocabulary size {vocabulary}).");
            }

            result[i] = (int)ids[i];
        }

        return result;
    }

    private static int[] EncodeChat(ChatPrompt chat, ServedModel model, RequestFieldNames names)
    {
        if (chat.Messages.Count == 0)
        {
            throw ApiException.Invalid(names.Messages, $"{names.Messages} is empty: send at least one message.");
        }

        for (var i = 0; i < chat.Messages.Count; i++)
        {
            if (!Roles.Contains(chat.Messages[i].Role))
            {
                throw ApiException.Invalid($"{names.Messages}[{i}].role",
                    $"{names.Messages}[{i}].role '{chat.Messages[i].Role}' is not one of: {string.Join(", ", Roles)}.");
            }
        }

        if (model.ChatTemplate is null)
        {
            throw ApiException.Invalid(names.Messages,
                $"model '{model.Id}' has no chat template (tokenizer_config.json chat_template): send a text prompt instead.");
        }

        string rendered;
        try
        {
            var config = model.Tokenizer.Config;
            rendered = model.ChatTemplate.Render(chat.Messages.Select(m => new Cluster.Tokenization.Templates.ChatMessage(m.Role, m.Content)),
                addGenerationPrompt: true, config.BosToken, config.EosToken);
        }
        catch (TemplateException e)
        {
            var why = e.RaisedByTemplate ? e.Message : $"the chat template failed: {e.Message}";
            throw ApiException.Invalid(names.Messages, $"{names.Messages} cannot be rendered with model '{model.Id}''s chat template: {why}");
        }

        var ids = model.Tokenizer.Encode(rendered, addSpecialTokens: false, allowSpecialTokens: true);
        return ids.Length > 0
            ? ids
            : throw ApiException.Invalid(names.Messages, $"{names.Messages} rendered to an empty prompt.");
    }
}
