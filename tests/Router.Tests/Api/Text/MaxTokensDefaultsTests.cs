using Cluster.Contracts.V1;
using Cluster.Router.Tests.Api.Infrastructure;

namespace Cluster.Router.Tests.Api.Text;

public sealed class MaxTokensDefaultsTests
{
    [Fact]
    public async Task Complete_NoMaxTokens_ChatCappedByChatMaxTokensCapAndTextByCompletionMaxTokens()
    {
        await using var router = await RouterHarness.StartAsync(extraArgs: ["--Router:ChatMaxTokensCap=10", "--Router:CompletionMaxTokens=3"]);
        var chat = new GenerateRequest { Chat = new ChatPrompt { Messages = { new ChatMessage { Role = "user", Content = "Hi" } } } };
        var chatResponse = await router.Grpc.CompleteAsync(chat, router.KeyedOptions()).ResponseAsync;
        Assert.Equal(10u, router.Coordinator.LastRequest.Stop.MaxTokens);
        Assert.Equal(router.Coordinator.Output[..10], chatResponse.Text);

        var text = await router.Grpc.CompleteAsync(new GenerateRequest { Text = "Hi" }, router.KeyedOptions()).ResponseAsync;
        Assert.Equal(3u, router.Coordinator.LastRequest.Stop.MaxTokens);
        Assert.Equal(router.Coordinator.Output[..3], text.Text);
    }

    [Fact]
    public async Task Complete_TextNearTheContextEnd_DefaultShrinksToTheRoomLeft()
    {
        await using var router = await RouterHarness.StartAsync();
        var prompt = new string('a', TinyModel.ContextLength - 2);
        var response = await router.Grpc.CompleteAsync(new GenerateRequest { Text = prompt }, router.KeyedOptions()).ResponseAsync;
        Assert.Equal(2u, router.Coordinator.LastRequest.Stop.MaxTokens);
        Assert.Equal(2u, response.Usage.CompletionTokens);
    }
}
