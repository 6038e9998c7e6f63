// Package recordbatch encodes and decodes Kafka's RecordBatch v2 (magic 2), the bytes Tributary
// stores and sends in ProducePartitionData.record_batches and FetchPartitionResponse.record_batches.
// Layout: docs/record-batch.md. Codecs: none, gzip, lz4 (frame), zstd; snappy is refused, as the
// broker refuses it.
package recordbatch

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// HeaderSize is the size of the batch header; the records start there.
const HeaderSize = 61

// Attribute bits.
const (
	CompressionMask   = 0x07
	TimestampTypeMask = 0x08
	TransactionalMask = 0x10
	ControlMask       = 0x20
)

// Compression codecs (attributes bits 0-2).
const (
	None = 0
	Gzip = 1
	Lz4  = 3
	Zstd = 4
)

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78); crc32c("123456789") = 0xE3069283.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Header is one record header; a nil Value is null.
type Header struct {
	Key   string
	Value []byte
}

// Record is one record; a nil Key or Value is null (an empty slice is empty).
type Record struct {
	Key       []byte
	Value     []byte
	Headers   []Header
	Timestamp int64 // ms since the Unix epoch
	Offset    int64 // baseOffset + offsetDelta (decode only)
}

// Batch is a decoded batch.
type Batch struct {
	BaseOffset           int64
	BatchLength          int32
	PartitionLeaderEpoch int32
	Magic                int8
	CRC                  uint32
	Attributes           int16
	LastOffsetDelta      int32
	FirstTimestamp       int64
	MaxTimestamp         int64
	ProducerID           int64
	ProducerEpoch        int16
	BaseSequence         int32
	Records              []Record
	RecordsSection       []byte // uncompressed
	Payload              []byte // as stored (compressed when the attributes say so)
}

// Options for Encode; the zero value is not idempotent-ready: use DefaultOptions.
type Options struct {
	Attributes           int16
	BaseOffset           int64
	PartitionLeaderEpoch int32
	ProducerID           int64
	ProducerEpoch        int16
	BaseSequence         int32
	// MaxTimestamp overrides the largest record timestamp (LogAppendTime); 0 = computed.
	MaxTimestamp int64
	// Payload reuses already-compressed records instead of compressing them again.
	Payload []byte
}

// DefaultOptions: uncompressed, CreateTime, base offset 0 (the broker stamps it), leader epoch
// -1, not idempotent (producer id, epoch and base sequence -1).
func DefaultOptions() Options {
	return Options{PartitionLeaderEpoch: -1, ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1}
}

func appendVarint(out []byte, v int64) []byte { return binary.AppendVarint(out, v) }

func appendBytes(out []byte, b []byte) []byte {
	if b == nil {
		return appendVarint(out, -1)
	}
	return append(appendVarint(out, int64(len(b))), b...)
}

// EncodeRecords writes the uncompressed records section: timestampDelta relative to
// firstTimestamp (0 under LogAppendTime), offsetDelta 0..n-1 relative to baseOffset.
func EncodeRecords(records []Record, firstTimestamp int64, logAppendTime bool) []byte {
	var out []byte
	for i, r := range records {
		body := []byte{0}
		delta := r.Timestamp - firstTimestamp
		if logAppendTime {
			delta = 0
		}
		body = appendVarint(body, delta)
		body = appendVarint(body, int64(i))
		body = appendBytes(body, r.Key)
		body = appendBytes(body, r.Value)
		body = appendVarint(body, int64(len(r.Headers)))
		for _, h := range r.Headers {
			body = appendBytes(body, []byte(h.Key))
			body = appendBytes(body, h.Value)
		}
		out = appendVarint(out, int64(len(body)))
		out = append(out, body...)
	}
	return out
}

// Compress compresses a records section with a codec.
func Compress(codec int, raw []byte) ([]byte, error) {
	var buf bytes.Buffer
	switch codec {
	case None:
		return raw, nil
	case Gzip:
		w, _ := gzip.NewWriterLevel(&buf, 6)
		if _, err := w.Write(raw); err != nil {
			return nil, err
		}
		if err := w.Close(); err != nil {
			return nil, err
		}
	case Lz4:
		w := lz4.NewWriter(&buf)
		if err := w.Apply(lz4.BlockSizeOption(lz4.Block64Kb)); err != nil {
			return nil, err
		}
		if _, err := w.Write(raw); err != nil {
			return nil, err
		}
		if err := w.Close(); err != nil {
			return nil, err
		}
	case Zstd:
		w, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault))
		if err != nil {
			return nil, err
		}
		return w.EncodeAll(raw, nil), nil
	default:
		return nil, fmt.Errorf("compression %d is not supported (none, gzip, lz4, zstd)", codec)
	}
	return buf.Bytes(), nil
}

// Decompress reverses Compress.
func Decompress(codec int, data []byte) ([]byte, error) {
	switch codec {
	case None:
		return data, nil
	case Gzip:
		r, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		return io.ReadAll(r)
	case Lz4:
		return io.ReadAll(lz4.NewReader(bytes.NewReader(data)))
	case Zstd:
		r, err := zstd.NewReader(nil)
		if err != nil {
			return nil, err
		}
		defer r.Close()
		return r.DecodeAll(data, nil)
	default:
		return nil, fmt.Errorf("compression %d is not supported (none, gzip, lz4, zstd)", codec)
	}
}

// Encode writes one whole batch; records need at least one entry.
func Encode(records []Record, o Options) ([]byte, error) {
	if len(records) == 0 {
		return nil, errors.New("a batch needs at least one record")
	}
	first := records[0].Timestamp
	maxTs := o.MaxTimestamp
	if maxTs == 0 {
		maxTs = first
		for _, r := range records {
			maxTs = max(maxTs, r.Timestamp)
		}
	}
	payload := o.Payload
	if payload == nil {
		var err error
		section := EncodeRecords(records, first, o.Attributes&TimestampTypeMask != 0)
		if payload, err = Compress(int(o.Attributes&CompressionMask), section); err != nil {
			return nil, err
		}
	}
	out := make([]byte, HeaderSize, HeaderSize+len(payload))
	be := binary.BigEndian
	be.PutUint64(out[0:], uint64(o.BaseOffset))
	be.PutUint32(out[8:], uint32(HeaderSize-12+len(payload)))
	be.PutUint32(out[12:], uint32(o.PartitionLeaderEpoch))
	out[16] = 2
	be.PutUint16(out[21:], uint16(o.Attributes))
	be.PutUint32(out[23:], uint32(len(records)-1))
	be.PutUint64(out[27:], uint64(first))
	be.PutUint64(out[35:], uint64(maxTs))
	be.PutUint64(out[43:], uint64(o.ProducerID))
	be.PutUint16(out[51:], uint16(o.ProducerEpoch))
	be.PutUint32(out[53:], uint32(o.BaseSequence))
	be.PutUint32(out[57:], uint32(len(records)))
	out = append(out, payload...)
	// The CRC covers attributes .. end: not baseOffset, batchLength or the leader epoch, which
	// the broker stamps.
	be.PutUint32(out[17:], crc32.Checksum(out[21:], castagnoli))
	return out, nil
}

// Decode reads one whole batch, checking framing and the CRC-32C before anything else.
func Decode(batch []byte) (*Batch, error) {
	if len(batch) < HeaderSize {
		return nil, fmt.Errorf("%d bytes: a batch header needs %d", len(batch), HeaderSize)
	}
	be := binary.BigEndian
	b := &Batch{
		BaseOffset:           int64(be.Uint64(batch[0:])),
		BatchLength:          int32(be.Uint32(batch[8:])),
		PartitionLeaderEpoch: int32(be.Uint32(batch[12:])),
		Magic:                int8(batch[16]),
		CRC:                  be.Uint32(batch[17:]),
		Attributes:           int16(be.Uint16(batch[21:])),
		LastOffsetDelta:      int32(be.Uint32(batch[23:])),
		FirstTimestamp:       int64(be.Uint64(batch[27:])),
		MaxTimestamp:         int64(be.Uint64(batch[35:])),
		ProducerID:           int64(be.Uint64(batch[43:])),
		ProducerEpoch:        int16(be.Uint16(batch[51:])),
		BaseSequence:         int32(be.Uint32(batch[53:])),
	}
	count := int(int32(be.Uint32(batch[57:])))
	if b.Magic != 2 {
		return nil, fmt.Errorf("magic %d, expected 2", b.Magic)
	}
	if 12+int(b.BatchLength) != len(batch) {
		return nil, fmt.Errorf("batchLength %d does not match %d bytes", b.BatchLength, len(batch))
	}
	if crc32.Checksum(batch[21:], castagnoli) != b.CRC {
		return nil, errors.New("CRC-32C mismatch")
	}
	b.Payload = batch[HeaderSize:]
	section, err := Decompress(int(b.Attributes&CompressionMask), b.Payload)
	if err != nil {
		return nil, err
	}
	b.RecordsSection = section
	pos := 0
	varint := func() (int64, error) {
		if pos >= len(section) {
			return 0, errors.New("a varint runs past the end of the records")
		}
		v, n := binary.Varint(section[pos:])
		if n <= 0 {
			return 0, errors.New("bad varint in the records")
		}
		pos += n
		return v, nil
	}
	readBytes := func() ([]byte, error) {
		n, err := varint()
		if err != nil || n < 0 {
			return nil, err
		}
		if pos+int(n) > len(section) {
			return nil, errors.New("a field runs past the end of the records")
		}
		v := section[pos : pos+int(n) : pos+int(n)]
		pos += int(n)
		return v, nil
	}
	for range count {
		length, err := varint()
		if err != nil {
			return nil, err
		}
		end := pos + int(length)
		pos++ // record attributes, unused
		var r Record
		tsDelta, err1 := varint()
		offDelta, err2 := varint()
		key, err3 := readBytes()
		value, err4 := readBytes()
		nHeaders, err5 := varint()
		if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
			return nil, err
		}
		r.Key, r.Value = key, value
		for range nHeaders {
			hk, err := readBytes()
			if err != nil {
				return nil, err
			}
			hv, err := readBytes()
			if err != nil {
				return nil, err
			}
			r.Headers = append(r.Headers, Header{Key: string(hk), Value: hv})
		}
		if pos != end {
			return nil, errors.New("a record's length does not match its fields")
		}
		r.Offset = b.BaseOffset + offDelta
		if b.Attributes&TimestampTypeMask != 0 {
			r.Timestamp = b.MaxTimestamp
		} else {
			r.Timestamp = b.FirstTimestamp + tsDelta
		}
		b.Records = append(b.Records, r)
	}
	if pos != len(section) {
		return nil, errors.New("the records do not fill the batch")
	}
	return b, nil
}

func crc32Checksum(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }
