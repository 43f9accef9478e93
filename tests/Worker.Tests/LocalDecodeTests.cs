using Cluster.Contracts.V1;
using Cluster.Worker.Tests.Support;

namespace Cluster.Worker.Tests;

/// <summary>Decode without a ticket: the decode worker computes the prompt itself (short prompts, migration).</summary>
public sealed class LocalDecodeTests(WorkerPair pair) : IClassFixture<WorkerPair>
{
    [Theory]
    [InlineData(1)]
    [InlineData(13)]
    [InlineData(40)]
    public async Task Decode_NoTicket_EqualsSingleEngineGeneration(int promptLength)
    {
        var prompt = TinyModel.Prompt(promptLength, seed: 100 + promptLength);

        var messages = await Calls.ReadAllAsync(pair.Decode, Calls.Decode($"local-{promptLength}", prompt, [], 10));

        Assert.Equal(pair.Model.Greedy(prompt, 10), Calls.Tokens(messages));
        Assert.Equal(FinishReason.Length, messages[^1].FinishReason);
        await pair.Decode.WaitAllBlocksFreeAsync();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(9)]
    public async Task Decode_MigratedWithGeneratedTokens_ContinuesWhereUninterruptedGenerationWould(int alreadyGenerated)
    {
        var prompt = TinyModel.Prompt(11, seed: 7);
        var expected = pair.Model.Greedy(prompt, 14);

        var messages = await Calls.ReadAllAsync(pair.Decode, Calls.Decode($"migrated-{alreadyGenerated}", prompt, expected.Take(alreadyGenerated), 14));

        // Only the new tokens, and max_tokens counts the ones generated before the migration.
        Assert.Equal(expected.Skip(alreadyGenerated), Calls.Tokens(messages));
        Assert.Equal(FinishReason.Length, messages[^1].FinishReason);
    }

    [Fact]
    public async Task Decode_GeneratedTokensReachMaxTokens_FinishesWithoutNewTokens()
    {
        var prompt = TinyModel.Prompt(5, seed: 8);

        var messages = await Calls.ReadAllAsync(pair.Decode, Calls.Decode("done", prompt, [1, 2, 3], 3));

        Assert.Equal(FinishReason.Length, Assert.Single(messages).FinishReason);
        Assert.Empty(messages[0].TokenIds);
    }

    [Fact]
    public async Task Decode_StopTokenId_EndsWithStopAndIncludesTheStopToken()
    {
        var prompt = TinyModel.Prompt(8, seed: 9);
        var expected = pair.Model.Greedy(prompt, 6);
        var request = Calls.Decode("stop-id", prompt, [], 6);
        request.Stop.StopTokenIds.Add((uint)expected[2]);

        var messages = await Calls.ReadAllAsync(pair.Decode, request);

        var tokens = Calls.Tokens(messages);
        Assert.Equal(expected.Take(tokens.Count), tokens);
        Assert.Equal(expected[2], tokens[^1]);
        Assert.Equal(FinishReason.Stop, messages[^1].FinishReason);
    }
}
