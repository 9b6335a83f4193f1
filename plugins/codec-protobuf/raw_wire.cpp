// Hand-written protobuf wire format for the frame's kind and the object-carrying kinds (see
// raw_wire.h for the contract).

#include "raw_wire.h"

#include <cstdint>
#include <cstring>
#include <string>

#include "proto_convert.h"

namespace plexus::detail::pb {
namespace {

// Wire types.
constexpr std::uint32_t kVarint = 0;
constexpr std::uint32_t kFixed64 = 1;
constexpr std::uint32_t kLen = 2;
constexpr std::uint32_t kStartGroup = 3;
constexpr std::uint32_t kEndGroup = 4;
constexpr std::uint32_t kFixed32 = 5;

/// protobuf's default recursion limit: nested messages and groups, the top level being 0.
constexpr int kMaxDepth = 100;

constexpr std::uint32_t tagOf(int field, std::uint32_t wireType) {
    return (static_cast<std::uint32_t>(field) << 3) | wireType;
}

// The fields this file reads and writes. Every number is below 16, so each tag is one byte.
constexpr int kInstructionType = wire::ObjectInstruction::kInstructionTypeFieldNumber;
constexpr int kObjectUser = wire::ObjectInstruction::kObjectUserFieldNumber;
constexpr int kInstructionContent = wire::ObjectInstruction::kObjectContentFieldNumber;
constexpr int kResponseType = wire::ObjectResponse::kResponseTypeFieldNumber;
constexpr int kResponseContent = wire::ObjectResponse::kObjectContentFieldNumber;
constexpr int kObjectIds = wire::ObjectContent::kObjectIdsFieldNumber;
constexpr int kObjectTypes = wire::ObjectContent::kObjectTypesFieldNumber;
constexpr int kObjectNames = wire::ObjectContent::kObjectNamesFieldNumber;
constexpr int kObjectPayloads = wire::ObjectContent::kObjectPayloadsFieldNumber;
constexpr int kChunks = wire::ObjectPayload::kChunksFieldNumber;
static_assert(kInstructionType < 16 && kObjectUser < 16 && kInstructionContent < 16 &&
                  kResponseType < 16 && kResponseContent < 16 && kObjectIds < 16 &&
                  kObjectTypes < 16 && kObjectNames < 16 && kObjectPayloads < 16 && kChunks < 16,
              "raw_wire writes one-byte tags");
static_assert(static_cast<int>(MessageKind::objectInstruction) + 1 < 16 &&
                  static_cast<int>(MessageKind::objectResponse) + 1 < 16,
              "raw_wire writes the kind as a one-byte tag");

[[noreturn]] void malformed(std::string what) {
    refuse(ErrorKind::Decode, "malformed protobuf frame: " + std::move(what));
}

/// A range of the frame: [offset, offset+length).
struct Span {
    std::size_t offset;
    std::size_t length;
};

/// Reads one message's fields from [offset, offset+length) of the frame at `base`; every read is
/// bounds-checked against that range, and nothing is allocated from a declared size.
class Reader {
  public:
    Reader(const std::uint8_t* base, Span range, int depth)
        : base_(base), pos_(base + range.offset), end_(pos_ + range.length), depth_(depth) {
        if (depth_ > kMaxDepth) malformed("nested deeper than the recursion limit");
    }

    bool atEnd() const { return pos_ == end_; }

    /// A reader of an embedded message one level down.
    Reader nested(Span range) const { return Reader(base_, range, depth_ + 1); }
    /// A reader of a packed list's bytes (not a message: same level).
    Reader packed(Span range) const { return Reader(base_, range, depth_); }

    /// A varint of at most `maxBytes` bytes; bits beyond 64 are dropped, as protobuf does.
    std::uint64_t varint(int maxBytes = 10) {
        std::uint64_t value = 0;
        for (int i = 0; i < maxBytes; ++i) {
            if (pos_ == end_) malformed("truncated varint");
            const std::uint8_t byte = *pos_++;
            value |= static_cast<std::uint64_t>(byte & 0x7f) << (7 * i);
            if (byte < 0x80) return value;
        }
        malformed("varint too long");
    }

    /// A field's tag: a varint of at most 5 bytes with a field number of at least 1.
    std::uint32_t tag() {
        const std::uint64_t value = varint(5);
        if (value > UINT32_MAX || (value >> 3) == 0) {
            malformed("invalid field tag " + std::to_string(value));
        }
        return static_cast<std::uint32_t>(value);
    }

    /// The value of a length-delimited field: its length, then that many bytes.
    Span lengthDelimited() {
        const std::uint64_t length = varint(5);
        if (length > static_cast<std::size_t>(end_ - pos_)) {
            malformed("a field of " + std::to_string(length) + " bytes overruns its message");
        }
        const Span span{static_cast<std::size_t>(pos_ - base_), static_cast<std::size_t>(length)};
        pos_ += length;
        return span;
    }

    /// Skips the value of a field this reader does not know (as protobuf keeps unknown fields,
    /// validating their framing).
    void skipField(std::uint32_t tag) {
        switch (tag & 7) {
            case kVarint:
                varint();
                return;
            case kFixed64:
                skipBytes(8);
                return;
            case kLen:
                lengthDelimited();
                return;
            case kStartGroup: {
                if (depth_ + 1 > kMaxDepth) malformed("groups nested deeper than the limit");
                ++depth_;
                for (;;) {
                    const std::uint32_t inner = this->tag();
                    if ((inner & 7) == kEndGroup) {
                        if ((inner >> 3) != (tag >> 3)) malformed("mismatched end of group");
                        break;
                    }
                    skipField(inner);
                }
                --depth_;
                return;
            }
            case kFixed32:
                skipBytes(4);
                return;
            default:  // an end-group outside its group, or wire types 6 and 7
                malformed("unexpected wire type " + std::to_string(tag & 7));
        }
    }

  private:
    void skipBytes(std::size_t count) {
        if (count > static_cast<std::size_t>(end_ - pos_)) malformed("truncated fixed field");
        pos_ += count;
    }

    const std::uint8_t* base_;
    const std::uint8_t* pos_;
    const std::uint8_t* end_;
    int depth_;
};

Bytes bytesAt(const Buffer& frame, Span span) {
    return Bytes(frame.view().substr(span.offset, span.length));
}

/// An enum field's value as protobuf keeps it: the varint truncated to int32.
std::int64_t enumValue(std::uint64_t varint) {
    return static_cast<std::int32_t>(static_cast<std::uint32_t>(varint));
}

/// One occurrence of an ObjectContent field; repeated occurrences append (protobuf merges them).
void readContent(Reader in, const Buffer& frame, ObjectContent& out) {
    while (!in.atEnd()) {
        const std::uint32_t tag = in.tag();
        switch (tag) {
            case tagOf(kObjectIds, kLen):
                out.ids.push_back(bytesAt(frame, in.lengthDelimited()));
                break;
            case tagOf(kObjectTypes, kLen): {
                Reader list = in.packed(in.lengthDelimited());
                while (!list.atEnd()) {
                    out.types.push_back(enumFromWire<ObjectType>(
                        enumValue(list.varint()), kObjectTypeCount, "objectContent.objectTypes"));
                }
                break;
            }
            case tagOf(kObjectTypes, kVarint):
                out.types.push_back(enumFromWire<ObjectType>(
                    enumValue(in.varint()), kObjectTypeCount, "objectContent.objectTypes"));
                break;
            case tagOf(kObjectNames, kLen):
                out.names.push_back(bytesAt(frame, in.lengthDelimited()));
                break;
            case tagOf(kObjectPayloads, kLen): {
                Reader payload = in.nested(in.lengthDelimited());
                auto& chunks = out.payloads.emplace_back();
                while (!payload.atEnd()) {
                    const std::uint32_t inner = payload.tag();
                    if (inner != tagOf(kChunks, kLen)) {
                        payload.skipField(inner);
                        continue;
                    }
                    const Span chunk = payload.lengthDelimited();
                    // An empty chunk holds no reference to the frame.
                    chunks.push_back(chunk.length == 0 ? Buffer{}
                                                       : frame.slice(chunk.offset, chunk.length));
                }
                break;
            }
            default:
                in.skipField(tag);
        }
    }
}

ObjectInstruction readInstruction(Reader in, const Buffer& frame) {
    ObjectInstruction out;
    std::uint64_t type = 0;
    while (!in.atEnd()) {
        const std::uint32_t tag = in.tag();
        switch (tag) {
            case tagOf(kInstructionType, kVarint):
                type = in.varint();
                break;
            case tagOf(kObjectUser, kLen):
                out.objectUser = bytesAt(frame, in.lengthDelimited());
                break;
            case tagOf(kInstructionContent, kLen):
                readContent(in.nested(in.lengthDelimited()), frame, out.objectContent);
                break;
            default:
                in.skipField(tag);
        }
    }
    out.instructionType = enumFromWire<ObjectInstructionType>(
        enumValue(type), kObjectInstructionTypeCount, "objectInstruction.instructionType");
    checkParallel(out.objectContent, ErrorKind::Decode, "objectInstruction.objectContent");
    return out;
}

ObjectResponse readResponse(Reader in, const Buffer& frame) {
    ObjectResponse out;
    std::uint64_t type = 0;
    while (!in.atEnd()) {
        const std::uint32_t tag = in.tag();
        switch (tag) {
            case tagOf(kResponseType, kVarint):
                type = in.varint();
                break;
            case tagOf(kResponseContent, kLen):
                readContent(in.nested(in.lengthDelimited()), frame, out.objectContent);
                break;
            default:
                in.skipField(tag);
        }
    }
    out.responseType = enumFromWire<ObjectResponseType>(enumValue(type), kObjectResponseTypeCount,
                                                        "objectResponse.responseType");
    checkParallel(out.objectContent, ErrorKind::Decode, "objectResponse.objectContent");
    return out;
}

// ---- encoding -------------------------------------------------------------------------------

std::size_t varintSize(std::uint64_t value) {
    std::size_t size = 1;
    while (value >= 0x80) {
        value >>= 7;
        ++size;
    }
    return size;
}

/// A length-delimited field (one-byte tag) holding `length` bytes.
std::size_t lenFieldSize(std::size_t length) {
    return 1 + varintSize(length) + length;
}

std::size_t payloadSize(const std::vector<Buffer>& chunks) {
    std::size_t size = 0;
    for (const Buffer& chunk : chunks) size += lenFieldSize(chunk.size());
    return size;
}

/// The packed object_types list's bytes (validating every value).
std::size_t typesSize(const std::vector<ObjectType>& types) {
    std::size_t size = 0;
    for (ObjectType type : types) {
        size += varintSize(enumToWire(type, kObjectTypeCount, "objectContent.objectTypes"));
    }
    return size;
}

std::size_t contentSize(const ObjectContent& content) {
    std::size_t size = 0;
    for (const Bytes& id : content.ids) size += lenFieldSize(id.size());
    if (!content.types.empty()) size += lenFieldSize(typesSize(content.types));
    for (const Bytes& name : content.names) size += lenFieldSize(name.size());
    for (const auto& chunks : content.payloads) size += lenFieldSize(payloadSize(chunks));
    return size;
}

/// Writes into memory sized by the functions above.
class Writer {
  public:
    explicit Writer(std::byte* out) : out_(reinterpret_cast<std::uint8_t*>(out)) {}

    std::byte* position() const { return reinterpret_cast<std::byte*>(out_); }

    void tag(int field, std::uint32_t wireType) {
        *out_++ = static_cast<std::uint8_t>(tagOf(field, wireType));
    }
    void varint(std::uint64_t value) {
        while (value >= 0x80) {
            *out_++ = static_cast<std::uint8_t>(value | 0x80);
            value >>= 7;
        }
        *out_++ = static_cast<std::uint8_t>(value);
    }
    void lenHeader(int field, std::size_t length) {
        tag(field, kLen);
        varint(length);
    }
    void bytes(int field, const void* data, std::size_t size) {
        lenHeader(field, size);
        if (size != 0) std::memcpy(out_, data, size);
        out_ += size;
    }
    void enumField(int field, std::uint32_t value) {
        if (value == 0) return;  // proto3 omits defaults
        tag(field, kVarint);
        varint(value);
    }

    void content(int field, const ObjectContent& value, std::size_t size) {
        lenHeader(field, size);
        for (const Bytes& id : value.ids) bytes(kObjectIds, id.data(), id.size());
        if (!value.types.empty()) {
            lenHeader(kObjectTypes, typesSize(value.types));
            for (ObjectType type : value.types) varint(static_cast<std::uint16_t>(type));
        }
        for (const Bytes& name : value.names) bytes(kObjectNames, name.data(), name.size());
        for (const auto& chunks : value.payloads) {
            lenHeader(kObjectPayloads, payloadSize(chunks));
            for (const Buffer& chunk : chunks) bytes(kChunks, chunk.data(), chunk.size());
        }
    }

  private:
    std::uint8_t* out_;
};

/// The frame: the kind's tag and length, then `body` bytes that `writeBody` writes.
template <class WriteBody>
Buffer frameOf(MessageKind kind, std::size_t body, WriteBody writeBody) {
    const std::size_t total = lenFieldSize(body);
    if (total > kMaxFrameBytes) {
        refuse(ErrorKind::TooLarge, "a frame of " + std::to_string(total) +
                                        " bytes exceeds protobuf's limit of " +
                                        std::to_string(kMaxFrameBytes));
    }
    Buffer frame = Buffer::allocate(total);
    Writer out(frame.mutableData());
    out.lenHeader(static_cast<int>(kind) + 1, body);
    writeBody(out);
    if (out.position() != frame.mutableData() + total) {
        refuse(ErrorKind::Internal, "object frame size mismatch");
    }
    return frame;
}

Buffer encodeInstruction(const ObjectInstruction& value) {
    const std::uint32_t type = enumToWire(value.instructionType, kObjectInstructionTypeCount,
                                          "objectInstruction.instructionType");
    checkParallel(value.objectContent, ErrorKind::InvalidArgument,
                  "objectInstruction.objectContent");
    const std::size_t content = contentSize(value.objectContent);
    const std::size_t body =
        (type != 0 ? 1 + varintSize(type) : 0) +
        (value.objectUser.empty() ? 0 : lenFieldSize(value.objectUser.size())) +
        lenFieldSize(content);
    return frameOf(MessageKind::objectInstruction, body, [&](Writer& out) {
        out.enumField(kInstructionType, type);
        if (!value.objectUser.empty()) {
            out.bytes(kObjectUser, value.objectUser.data(), value.objectUser.size());
        }
        out.content(kInstructionContent, value.objectContent, content);
    });
}

Buffer encodeResponse(const ObjectResponse& value) {
    const std::uint32_t type =
        enumToWire(value.responseType, kObjectResponseTypeCount, "objectResponse.responseType");
    checkParallel(value.objectContent, ErrorKind::InvalidArgument, "objectResponse.objectContent");
    const std::size_t content = contentSize(value.objectContent);
    const std::size_t body = (type != 0 ? 1 + varintSize(type) : 0) + lenFieldSize(content);
    return frameOf(MessageKind::objectResponse, body, [&](Writer& out) {
        out.enumField(kResponseType, type);
        out.content(kResponseContent, value.objectContent, content);
    });
}

}  // namespace

FrameKind scanFrame(const Buffer& frame) {
    Reader in(reinterpret_cast<const std::uint8_t*>(frame.data()), Span{0, frame.size()}, 0);
    FrameKind where;
    std::size_t kinds = 0;
    std::uint32_t unknownField = 0;  // the last length-delimited field past the known kinds
    while (!in.atEnd()) {
        const std::uint32_t tag = in.tag();
        const std::uint32_t field = tag >> 3;
        if ((tag & 7) == kLen && field >= 1 && field <= kMessageKindCount) {
            const Span value = in.lengthDelimited();
            where = FrameKind{static_cast<MessageKind>(field - 1), value.offset, value.length};
            ++kinds;
            continue;
        }
        if ((tag & 7) == kLen && field > kMessageKindCount) unknownField = field;
        in.skipField(tag);
    }
    if (kinds == 0) {
        if (frame.empty()) refuse(ErrorKind::Decode, "unknown message type: empty frame");
        if (unknownField != 0) {
            refuse(ErrorKind::Decode, "unknown message type: field " +
                                          std::to_string(unknownField) +
                                          " is not a kind this plexus knows (a newer peer?)");
        }
        refuse(ErrorKind::Decode, "unknown message type: no message kind is set");
    }
    if (kinds > 1) {
        refuse(ErrorKind::Decode, "message kind set " + std::to_string(kinds) + " times");
    }
    return where;
}

Buffer encodeObjects(const Message& message) {
    if (const auto* instruction = std::get_if<ObjectInstruction>(&message)) {
        return encodeInstruction(*instruction);
    }
    if (const auto* response = std::get_if<ObjectResponse>(&message)) {
        return encodeResponse(*response);
    }
    refuse(ErrorKind::Internal, "encodeObjects: not an object-carrying kind");
}

Message decodeObjects(const Buffer& frame, const FrameKind& where) {
    Reader in(reinterpret_cast<const std::uint8_t*>(frame.data()), Span{where.offset, where.length},
              1);
    switch (where.kind) {
        case MessageKind::objectInstruction:
            return readInstruction(in, frame);
        case MessageKind::objectResponse:
            return readResponse(in, frame);
        default:
            refuse(ErrorKind::Internal, "decodeObjects: not an object-carrying kind");
    }
}

}  // namespace plexus::detail::pb
