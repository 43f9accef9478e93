using Cluster.Core.Generation;

namespace Cluster.Core.Tests.Generation;

/// <summary>The one validator of sampling, limits and stop conditions: every range, with the field it names.</summary>
public sealed class GenerationParametersTests
{
    public static TheoryData<GenerationParameters, GenerationField, string> OutOfRange => new()
    {
        { new() { Temperature = -0.1 }, GenerationField.Temperature, "must be in [0, 2]" },
        { new() { Temperature = 2.5 }, GenerationField.Temperature, "must be in [0, 2]" },
        { new() { Temperature = double.NaN }, GenerationField.Temperature, "must be in [0, 2]" },
        { new() { TopK = -1 }, GenerationField.TopK, "must be in [0, 2147483647]" },
        { new() { TopK = (long)int.MaxValue + 1 }, GenerationField.TopK, "must be in [0, 2147483647]" },
        { new() { TopP = 0 }, GenerationField.TopP, "must be in (0, 1]" },
        { new() { TopP = 1.5 }, GenerationField.TopP, "must be in (0, 1]" },
        { new() { MinP = 2 }, GenerationField.MinP, "must be in [0, 1]" },
        { new() { RepetitionPenalty = 0 }, GenerationField.RepetitionPenalty, "must be a finite number > 0" },
        { new() { RepetitionPenalty = double.PositiveInfinity }, GenerationField.RepetitionPenalty, "must be a finite number > 0" },
        { new() { PresencePenalty = 2.5 }, GenerationField.PresencePenalty, "must be in [-2, 2]" },
        { new() { FrequencyPenalty = -3 }, GenerationField.FrequencyPenalty, "must be in [-2, 2]" },
        { new() { MaxTokens = 0 }, GenerationField.MaxTokens, "must be ≥ 1" },
        { new() { StopTokenIds = [3, -1] }, GenerationField.StopTokenIds, "[1] = -1 is negative" },
    };

    [Theory]
    [MemberData(nameof(OutOfRange))]
    public void Validate_OutOfRange_NamesTheFieldEachApisWay(GenerationParameters parameters, GenerationField field, string expected)
    {
        var e = Assert.Throws<GenerationParameterException>(() => parameters.Validate());

        Assert.Equal(field, e.Field);
        Assert.StartsWith(GenerationFieldNames.Wire(field), e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.StartsWith("my_name", e.Describe("my_name"), StringComparison.Ordinal);
        Assert.Contains(expected, e.Describe("my_name"), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_StopTokenOutsideTheVocabulary_OnlyWhenTheVocabularyIsKnown()
    {
        var parameters = new GenerationParameters { StopTokenIds = [5, 100] };

        parameters.Validate();
        var e = Assert.Throws<GenerationParameterException>(() => parameters.Validate(vocabularySize: 100));
        Assert.Equal("stop.stop_token_ids[1] = 100 is outside the model's vocabulary (0 … 99).", e.Message);
    }

    [Fact]
    public void Defaults_AreValidAndEveryFilterIsOff()
    {
        var parameters = new GenerationParameters();

        parameters.Validate();
        Assert.True(parameters.IsGreedy);
        Assert.Equal(1, parameters.TopP);
        Assert.Equal(1, parameters.RepetitionPenalty);
        Assert.Equal(0, parameters.TopK);
        Assert.Equal(0, parameters.MinP);
        Assert.Equal(GenerationDefaults.CompletionMaxTokens, parameters.MaxTokens);
    }

    [Fact]
    public void Validate_EdgesOfEveryRange_Pass()
    {
        new GenerationParameters
        {
            Temperature = 2, TopK = int.MaxValue, TopP = 1e-6, MinP = 1, RepetitionPenalty = 1e-6, PresencePenalty = -2, FrequencyPenalty = 2, MaxTokens = 1,
            StopTokenIds = [0, 99],
        }.Validate(vocabularySize: 100);
    }
}
