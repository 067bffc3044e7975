package zztiming
import ("testing";"time";"context";"sync"; "github.com/paved-dev/paved/internal/source"; "github.com/paved-dev/paved/internal/scan")
func TestTimingPar(t *testing.T){
 ctx:=context.Background()
 refs,_,_:=source.Discover("/tmp/bench/fleet10k")
 refs=refs[:3000]
 sc:=&scan.Scanner{Now:time.Now}
 for _,w:=range []int{1}{
 s:=time.Now()
 ch:=make(chan source.Ref)
 var wg sync.WaitGroup
 for i:=0;i<w;i++{ wg.Add(1); go func(){defer wg.Done(); for r:=range ch{ sc.Inspect(ctx,r,"",true)}}()}
 for _,r:=range refs{ch<-r}; close(ch); wg.Wait()
 t.Log("workers",w,time.Since(s))
 }
}
