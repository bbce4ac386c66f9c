// gguf-file.mjs: read a whole GGUF file into {version, kvs, tensors} and write it back, for the
// scripts that derive test and benchmark models from a real one (pad-vocab.mjs, edit-gguf.mjs).
// Metadata values stay raw bytes except strings and arrays, which the scripts may edit; each tensor
// keeps its data bytes as read (up to the next tensor, alignment padding included).
import fs from "node:fs";

export const GGUF_TYPE = {U8: 0, I8: 1, U16: 2, I16: 3, U32: 4, I32: 5, F32: 6, BOOL: 7, STRING: 8, ARRAY: 9, U64: 10, I64: 11, F64: 12};
const SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8};
// The scalar types the scripts read and write as numbers (token types, scores); others stay raw bytes.
const NUMBER_READERS = {[GGUF_TYPE.I32]: "readInt32LE", [GGUF_TYPE.U32]: "readUInt32LE", [GGUF_TYPE.F32]: "readFloatLE"};
const ALIGNMENT = 32;

export function readGguf(path) {
    const input = fs.readFileSync(path);
    if (input.toString("latin1", 0, 4) !== "GGUF")
        throw new Error(`${path} is not a GGUF file`);
    let at = 4;
    const u32 = () => (at += 4, input.readUInt32LE(at - 4));
    const u64 = () => (at += 8, Number(input.readBigUInt64LE(at - 8)));
    const str = () => {
        const length = u64();
        at += length;
        return input.toString("utf8", at - length, at);
    };
    const readValue = (type) => {
        if (type === GGUF_TYPE.STRING)
            return {type, value: str()};
        if (type === GGUF_TYPE.ARRAY) {
            const itemType = u32();
            const count = u64();
            const items = [];
            for (let i = 0; i < count; i++)
                items.push(readValue(itemType).value);
            return {type, itemType, value: items};
        }
        const size = SIZES[type];
        if (size == null)
            throw new Error(`${path}: unknown GGUF value type ${type}`);
        at += size;
        const reader = NUMBER_READERS[type];
        return {type, raw: input.subarray(at - size, at), value: reader == null ? undefined : input[reader](at - size)};
    };
    const version = u32();
    const tensorCount = u64();
    const kvCount = u64();
    const kvs = [];
    for (let i = 0; i < kvCount; i++) {
        const key = str();
        kvs.push({key, ...readValue(u32())});
    }
    const tensors = [];
    for (let i = 0; i < tensorCount; i++) {
        const name = str();
        const dims = Array.from({length: u32()}, u64);
        tensors.push({name, dims, type: u32(), offset: u64()});
    }
    const dataStart = Math.ceil(at / ALIGNMENT) * ALIGNMENT;
    tensors.forEach((tensor, i) => {
        const end = i + 1 < tensors.length ? dataStart + tensors[i + 1].offset : input.length;
        tensor.bytes = input.subarray(dataStart + tensor.offset, end);
        delete tensor.offset;
    });
    return {version, kvs, tensors};
}

export function writeGguf(path, {version, kvs, tensors}) {
    const chunks = [];
    const w32 = (v) => { const b = Buffer.alloc(4); b.writeUInt32LE(v); chunks.push(b); };
    const w64 = (v) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); chunks.push(b); };
    const wstr = (s) => { const b = Buffer.from(s, "utf8"); w64(b.length); chunks.push(b); };
    const writeItem = (type, value) => {
        if (type === GGUF_TYPE.STRING)
            return wstr(value);
        const b = Buffer.alloc(SIZES[type]);
        if (type === GGUF_TYPE.I32) b.writeInt32LE(value);
        else if (type === GGUF_TYPE.F32) b.writeFloatLE(value);
        else if (type === GGUF_TYPE.U32) b.writeUInt32LE(value);
        else throw new Error(`cannot write array items of type ${type}`);
        chunks.push(b);
    };
    chunks.push(Buffer.from("GGUF", "latin1"));
    w32(version);
    w64(tensors.length);
    w64(kvs.length);
    for (const kv of kvs) {
        wstr(kv.key);
        w32(kv.type);
        if (kv.type === GGUF_TYPE.STRING)
            wstr(kv.value);
        else if (kv.type === GGUF_TYPE.ARRAY) {
            w32(kv.itemType);
            w64(kv.value.length);
            for (const item of kv.value)
                writeItem(kv.itemType, item);
        } else
            chunks.push(kv.raw);
    }
    const aligned = (n) => Math.ceil(n / ALIGNMENT) * ALIGNMENT;
    let offset = 0;
    const offsets = tensors.map((tensor) => {
        const mine = offset;
        offset = aligned(offset + tensor.bytes.length);
        return mine;
    });
    tensors.forEach((tensor, i) => {
        wstr(tensor.name);
        w32(tensor.dims.length);
        tensor.dims.forEach(w64);
        w32(tensor.type);
        w64(offsets[i]);
    });
    const headerLength = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    chunks.push(Buffer.alloc(aligned(headerLength) - headerLength));
    tensors.forEach((tensor) => {
        chunks.push(tensor.bytes);
        chunks.push(Buffer.alloc(aligned(tensor.bytes.length) - tensor.bytes.length));
    });
    fs.writeFileSync(path, Buffer.concat(chunks));
}
