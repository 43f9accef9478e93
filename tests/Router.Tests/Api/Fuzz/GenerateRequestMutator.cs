using Cluster.Contracts.V1;
using Cluster.Router.Tests.Api.Infrastructure;
using Google.Protobuf;

namespace Cluster.Router.Tests.Api.Fuzz;

/// <summary>
/// Serialized <c>GenerateRequest</c>s from a seed: messages with random field values (NaN/±∞/extreme floats, huge
/// top_k and token ids, odd strings and roles), and byte-level mutations of valid ones (flipped, inserted, deleted
/// bytes, truncation, a text field that is not UTF-8).
/// </summary>
internal sealed class GenerateRequestMutator(Random random)
{
    private static readonly float[] Floats = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, 0f, 0.5f, 1f, 2f, 2.0001f, -2f, -2.0001f, 1e-45f, float.MaxValue, float.MinValue];
    private static readonly uint[] Uints = [0, 1, 5, 127, 128, 255, 256, 4096, int.MaxValue, (uint)int.MaxValue + 1, 4_000_000_000, uint.MaxValue];
    private static readonly string[] Strings = ["", "hi", TinyModel.Id, "nope", " ", "\0", "ok\u00e9", "\ud83d\ude00", "user", "assistant", "tool", "wizard", new string('a', 300)];

    public byte[] Next() => random.Next(2) == 0 ? Random().ToByteArray() : Mutate(Valid().ToByteArray());

    private GenerateRequest Valid() => new() { Model = TinyModel.Id, Text = "hello", Stop = new StopConditions { MaxTokens = 4 } };

    private GenerateRequest Random()
    {
        var r = new GenerateRequest { Model = Pick(Strings, TinyModel.Id), Logprobs = random.Next(2) == 0 };
        switch (random.Next(4))
        {
            case 0: r.Text = Pick(Strings, "hello"); break;
            case 1: r.TokenIds = new TokenIds { Ids = { Enumerable.Range(0, random.Next(0, 5)).Select(_ => Pick(Uints, 1u)) } }; break;
            case 2: r.Chat = new ChatPrompt { Messages = { Enumerable.Range(0, random.Next(0, 3)).Select(_ => new ChatMessage { Role = Pick(Strings, "user"), Content = Pick(Strings, "hi") }) } }; break;
            default: break; // no prompt
        }

        if (random.Next(4) != 0)
        {
            r.Sampling = new SamplingParams
            {
                Temperature = Pick(Floats, 0f), TopP = Pick(Floats, 0f), TopK = Pick(Uints, 0u), MinP = Pick(Floats, 0f),
                RepetitionPenalty = Pick(Floats, 0f), PresencePenalty = Pick(Floats, 0f), FrequencyPenalty = Pick(Floats, 0f),
            };
            if (random.Next(2) == 0)
            {
                r.Sampling.Seed = (ulong)random.NextInt64();
            }
        }

        if (random.Next(4) != 0)
        {
            r.Stop = new StopConditions { MaxTokens = Pick(Uints, 4u), IgnoreEos = random.Next(2) == 0 };
            r.Stop.Stop.AddRange(Enumerable.Range(0, random.Next(0, 20)).Select(_ => Pick(Strings, "x")));
            r.Stop.StopTokenIds.AddRange(Enumerable.Range(0, random.Next(0, 3)).Select(_ => Pick(Uints, 1u)));
        }

        r.RequestId = random.Next(3) == 0 ? Pick(Strings, "") : "";
        r.CacheSalt = random.Next(3) == 0 ? Pick(Strings, "") : "";
        return r;
    }

    private byte[] Mutate(byte[] bytes)
    {
        var list = bytes.ToList();
        switch (random.Next(4))
        {
            case 0:
                // Field 2 (text), length-delimited, holding bytes that are not UTF-8.
                list.AddRange([0x12, 0x03, 0x61, 0xC3, 0x28]);
                break;
            case 1:
                var cut = random.Next(list.Count);
                list.RemoveRange(cut, list.Count - cut);
                break;
            case 2:
                for (var i = random.Next(1, 4); i > 0; i--)
                {
                    list[random.Next(list.Count)] = (byte)random.Next(256);
                }

                break;
            default:
                list.Insert(random.Next(list.Count + 1), (byte)random.Next(256));
                break;
        }

        return [.. list];
    }

    private T Pick<T>(T[] values, T usual) => random.Next(3) == 0 ? usual : values[random.Next(values.Length)];
}
