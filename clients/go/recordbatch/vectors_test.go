package recordbatch

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// The shared vectors, packages/record-batch/vectors/*.json (written by
// scripts/gen-record-batch-vectors.mjs): decode each to the header and records the file states,
// re-encode the records section and the whole batch byte for byte (the stored payload where
// compressed: compressor output differs between implementations), and round-trip this package's
// own compression.

type vectorHeader struct {
	Key   string  `json:"key"`
	Value *string `json:"value"`
}

type vectorRecord struct {
	Offset    int64          `json:"offset"`
	Timestamp int64          `json:"timestamp"`
	Key       *string        `json:"key"`
	Value     *string        `json:"value"`
	Headers   []vectorHeader `json:"headers"`
}

type vector struct {
	Name       string           `json:"name"`
	Hex        string           `json:"hex"`
	RecordsHex string           `json:"recordsHex"`
	Header     map[string]int64 `json:"header"`
	Records    []vectorRecord   `json:"records"`
}

func hexOrNil(b []byte) *string {
	if b == nil {
		return nil
	}
	s := hex.EncodeToString(b)
	return &s
}

func plain(records []Record) []vectorRecord {
	out := []vectorRecord{}
	for _, r := range records {
		headers := []vectorHeader{}
		for _, h := range r.Headers {
			headers = append(headers, vectorHeader{Key: h.Key, Value: hexOrNil(h.Value)})
		}
		out = append(out, vectorRecord{r.Offset, r.Timestamp, hexOrNil(r.Key), hexOrNil(r.Value), headers})
	}
	return out
}

func TestVectors(t *testing.T) {
	files, _ := filepath.Glob("../../../packages/record-batch/vectors/*.json")
	if len(files) == 0 {
		t.Fatal("no vectors found under packages/record-batch/vectors")
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var v vector
		if err := json.Unmarshal(data, &v); err != nil {
			t.Fatal(err)
		}
		t.Run(v.Name, func(t *testing.T) {
			raw, _ := hex.DecodeString(v.Hex)
			b, err := Decode(raw)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int64{
				"baseOffset": b.BaseOffset, "batchLength": int64(b.BatchLength),
				"partitionLeaderEpoch": int64(b.PartitionLeaderEpoch), "magic": int64(b.Magic),
				"crc": int64(b.CRC), "attributes": int64(b.Attributes),
				"lastOffsetDelta": int64(b.LastOffsetDelta), "firstTimestamp": b.FirstTimestamp,
				"maxTimestamp": b.MaxTimestamp, "producerId": b.ProducerID,
				"producerEpoch": int64(b.ProducerEpoch), "baseSequence": int64(b.BaseSequence),
				"recordCount": int64(len(b.Records)),
			}
			if !reflect.DeepEqual(got, v.Header) {
				t.Fatalf("header %v, want %v", got, v.Header)
			}
			if !reflect.DeepEqual(plain(b.Records), v.Records) {
				t.Fatalf("records differ")
			}
			lat := b.Attributes&TimestampTypeMask != 0
			if s := hex.EncodeToString(EncodeRecords(b.Records, b.FirstTimestamp, lat)); s != v.RecordsHex {
				t.Fatalf("records section %s, want %s", s, v.RecordsHex)
			}
			o := Options{
				Attributes: b.Attributes, BaseOffset: b.BaseOffset, PartitionLeaderEpoch: b.PartitionLeaderEpoch,
				ProducerID: b.ProducerID, ProducerEpoch: b.ProducerEpoch, BaseSequence: b.BaseSequence,
				MaxTimestamp: b.MaxTimestamp,
			}
			withPayload := o
			if b.Attributes&CompressionMask != 0 {
				withPayload.Payload = b.Payload
			}
			again, err := Encode(b.Records, withPayload)
			if err != nil {
				t.Fatal(err)
			}
			if s := hex.EncodeToString(again); s != v.Hex {
				t.Fatalf("re-encoded batch\n%s\nwant\n%s", s, v.Hex)
			}
			ours, err := Encode(b.Records, o)
			if err != nil {
				t.Fatal(err)
			}
			back, err := Decode(ours)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(plain(back.Records), v.Records) {
				t.Fatalf("own compression does not round-trip")
			}
		})
	}
}

func TestCRC32CCheckValue(t *testing.T) {
	if got := crc32Checksum([]byte("123456789")); got != 0xE3069283 {
		t.Fatalf("crc32c(123456789) = %08x", got)
	}
}
