package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	pb "tributary.local/clients/go/gen/tributary/v1"
)

// The connection settings of docs/protocol.md: 64 MiB messages, an 8 MiB HTTP/2 window,
// keepalive pings every 30 s (10 s to answer) also without calls in flight.
var dialOptions = []grpc.DialOption{
	grpc.WithTransportCredentials(insecure.NewCredentials()),
	grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20), grpc.MaxCallSendMsgSize(64<<20)),
	grpc.WithInitialWindowSize(8 << 20),
	grpc.WithInitialConnWindowSize(8 << 20),
	grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: 30 * time.Second, Timeout: 10 * time.Second, PermitWithoutStream: true}),
}

// cluster keeps one connection per address and the latest metadata.
type cluster struct {
	bootstrap    string
	conns        map[string]*grpc.ClientConn
	brokers      map[int32]string
	controller   string
	coordinators []string
}

func newCluster(bootstrap string) (*cluster, error) {
	c := &cluster{bootstrap: bootstrap, conns: map[string]*grpc.ClientConn{}}
	_, err := c.refresh(nil)
	return c, err
}

func (c *cluster) conn(address string) *grpc.ClientConn {
	if cc, ok := c.conns[address]; ok {
		return cc
	}
	cc, err := grpc.NewClient(address, dialOptions...)
	if err != nil {
		panic(err) // only a malformed address fails here
	}
	c.conns[address] = cc
	return cc
}

func (c *cluster) broker(id int32) pb.BrokerServiceClient {
	return pb.NewBrokerServiceClient(c.conn(c.brokers[id]))
}

func (c *cluster) refresh(topics []string) (*pb.MetadataResponse, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	md, err := pb.NewBrokerServiceClient(c.conn(c.bootstrap)).Metadata(ctx, &pb.MetadataRequest{Topics: topics})
	if err != nil {
		return nil, describe(err)
	}
	c.brokers = map[int32]string{}
	for _, b := range md.Brokers {
		c.brokers[b.BrokerId] = fmt.Sprintf("%s:%d", b.Host, b.Port)
	}
	c.controller = fmt.Sprintf("%s:%d", md.Controller.GetHost(), md.Controller.GetPort())
	c.coordinators = nil
	for _, co := range md.Coordinators {
		c.coordinators = append(c.coordinators, fmt.Sprintf("%s:%d", co.Host, co.Port))
	}
	return md, nil
}

type leader struct {
	id    int32
	epoch int64
}

// waitForLeaders polls metadata until every partition of the topic has a leader.
func (c *cluster) waitForLeaders(topic string, partitions int) (map[int32]leader, error) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		md, err := c.refresh([]string{topic})
		if err != nil {
			return nil, err
		}
		if len(md.Topics) == 1 && md.Topics[0].ErrorCode == pb.ErrorCode_ERROR_CODE_NONE && len(md.Topics[0].Partitions) == partitions {
			leaders := map[int32]leader{}
			for _, p := range md.Topics[0].Partitions {
				if p.ErrorCode == pb.ErrorCode_ERROR_CODE_NONE && p.LeaderId >= 0 {
					leaders[p.Partition] = leader{p.LeaderId, p.LeaderEpoch}
				}
			}
			if len(leaders) == partitions {
				return leaders, nil
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("topic %s has no leader for every partition", topic)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// coordinatorFor asks any coordinator which one owns the group (FindCoordinator).
func (c *cluster) coordinatorFor(group string) (pb.GroupCoordinatorServiceClient, error) {
	if len(c.coordinators) == 0 {
		return nil, fmt.Errorf("metadata lists no group coordinator")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	found, err := pb.NewGroupCoordinatorServiceClient(c.conn(c.coordinators[0])).FindCoordinator(ctx, &pb.FindCoordinatorRequest{GroupId: group})
	if err != nil {
		return nil, describe(err)
	}
	address := fmt.Sprintf("%s:%d", found.Coordinator.Host, found.Coordinator.Port)
	return pb.NewGroupCoordinatorServiceClient(c.conn(address)), nil
}

func (c *cluster) close() {
	for _, cc := range c.conns {
		cc.Close()
	}
}

// errorCode reads a whole-request failure's ErrorCode from the `tributary-error-code` trailer
// (pass grpc.Trailer(&trailer) on the call), or -1 when the transport failed without one.
func errorCode(trailer metadata.MD) pb.ErrorCode {
	if v := trailer.Get("tributary-error-code"); len(v) == 1 {
		if n, err := strconv.Atoi(v[0]); err == nil {
			return pb.ErrorCode(n)
		}
	}
	return -1
}

func describe(err error) error {
	if s, ok := status.FromError(err); ok {
		return fmt.Errorf("%s: %s", s.Code(), s.Message())
	}
	return err
}
