using System.Text;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Cluster.Contracts;

/// <summary>
/// Checks that every <c>string</c> field of a serialized message (nested messages included) is valid UTF-8, as proto3
/// requires. Google.Protobuf's C# parser does not check: it replaces bad bytes with U+FFFD, so a client's broken text
/// would silently become different text. Throws <see cref="InvalidDataException"/> naming the field.
/// </summary>
public static class Utf8FieldCheck
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static void Check(ReadOnlySpan<byte> message, MessageDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        Check(new CodedInputStream(message.ToArray()), descriptor, "");
    }

    private static void Check(CodedInputStream input, MessageDescriptor descriptor, string prefix)
    {
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            var field = descriptor.FindFieldByNumber(WireFormat.GetTagFieldNumber(tag));
            if (field is null || WireFormat.GetTagWireType(tag) != WireFormat.WireType.LengthDelimited
                || field.FieldType is not (FieldType.String or FieldType.Message))
            {
                input.SkipLastField();
                continue;
            }

            var bytes = input.ReadBytes();
            var name = prefix + field.Name;
            if (field.FieldType == FieldType.Message)
            {
                Check(new CodedInputStream(bytes.ToByteArray()), field.MessageType, name + ".");
                continue;
            }

            try
            {
                _ = Strict.GetCharCount(bytes.Span);
            }
            catch (DecoderFallbackException)
            {
                throw new InvalidDataException($"string field '{name}' is not valid UTF-8.");
            }
        }
    }
}
