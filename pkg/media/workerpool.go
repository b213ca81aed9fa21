package media

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// Worker pool defaults, used when the config leaves a value at zero.
const (
	DefaultWorkers     = 1
	DefaultMaxRequests = 200
)

// ErrPoolClosed is an Extract on a closed WorkerPool.
var ErrPoolClosed = errors.New("the yt-dlp worker pool is closed")

// ExtractorConfig configures NewExtractor and the worker pool.
type ExtractorConfig struct {
	// Ytdlp is shared with the command-line fallback. The workers run Python; Command is only
	// for the command line.
	Ytdlp YtdlpConfig
	// Workers is the number of worker processes, each extracting one link at a time.
	Workers int
	// MaxRequests recycles a worker after this many requests, so state yt-dlp accumulates
	// (cookie jar, session tokens, memory) does not live forever.
	MaxRequests int
	// StartTimeout bounds a worker's start up to its hello.
	StartTimeout time.Duration
}

func (cfg ExtractorConfig) withDefaults() ExtractorConfig {
	cfg.Ytdlp = cfg.Ytdlp.withDefaults()
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.MaxRequests <= 0 {
		cfg.MaxRequests = DefaultMaxRequests
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = DefaultWorkerStartTimeout
	}
	return cfg
}

// WorkerPool extracts posts with persistent yt-dlp worker processes, which skips the interpreter
// start, the import of yt_dlp and Instagram's session set-up that the command line pays per link.
type WorkerPool struct {
	cfg     ExtractorConfig
	log     zerolog.Logger
	version string
	// slots holds one token per worker: an idle worker, or nil for one that is not running.
	// Whoever takes a token puts one back.
	slots chan *worker
	// ctx ends with Close; it stops replacement workers from starting.
	ctx      context.Context
	cancel   context.CancelFunc
	bg       sync.WaitGroup // replacements and stops in the background
	close    sync.Once
	restarts atomic.Int64
}

// NewWorkerPool starts the first worker and returns the pool once it is ready; the others start
// in the background. It fails when the worker cannot start, e.g. *YtdlpTooOldError, or the proxy
// URL is invalid (ErrInvalidProxy). It first removes what killed bridges left in the scratch
// directory.
func NewWorkerPool(ctx context.Context, cfg ExtractorConfig) (*WorkerPool, error) {
	cfg = cfg.withDefaults()
	if cfg.Ytdlp.Proxy != "" {
		if _, err := ParseProxy(cfg.Ytdlp.Proxy); err != nil {
			return nil, err
		}
	}
	cleanStaleScratch(ctx)
	first, err := startWorker(ctx, cfg.Ytdlp, cfg.StartTimeout)
	if err != nil {
		return nil, err
	}
	// Background starts outlive ctx, but keep its values (the logger).
	poolCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	p := &WorkerPool{
		cfg:     cfg,
		log:     *zerolog.Ctx(ctx),
		version: first.version,
		slots:   make(chan *worker, cfg.Workers),
		ctx:     poolCtx,
		cancel:  cancel,
	}
	p.slots <- first
	for range cfg.Workers - 1 {
		p.replace(nil)
	}
	return p, nil
}

// Version is the yt-dlp version the first worker reported.
func (p *WorkerPool) Version() string { return p.version }

// Restarts counts the workers replaced so far (recycled, timed out, broken or dead).
func (p *WorkerPool) Restarts() int64 { return p.restarts.Load() }

// Extract fetches the post of link with a free worker, waiting for one as long as ctx allows.
// Failures are like Ytdlp.Extract's, plus ErrPoolClosed and ErrWorkerCrashed.
func (p *WorkerPool) Extract(ctx context.Context, link Link) (*Post, error) {
	post, err := p.extract(ctx, link)
	reportToPacer(p.cfg.Ytdlp.Pacer, link, err)
	return post, err
}

func (p *WorkerPool) extract(ctx context.Context, link Link) (*Post, error) {
	target, err := extractURL(link)
	if err != nil {
		return nil, err
	}
	resp, err := p.run(ctx, link, target)
	if err != nil {
		return nil, err
	}
	if p.cfg.Ytdlp.CookiesFile != "" && slices.ContainsFunc(resp.Warnings, cookiesRejected) {
		// The extractor may still succeed logged out, but the operator must renew the session.
		zerolog.Ctx(ctx).Warn().Strs("warnings", resp.Warnings).
			Msg("Instagram rejected the configured cookies")
	}
	post, err := ParseInfo(resp.Info, p.cfg.Ytdlp.MaxItems)
	if err != nil {
		return nil, err
	}
	post.Link = link
	return post, nil
}

// run has a worker extract target and returns its successful response. A worker found to have
// died while idle is replaced and the request goes to another worker, once: it never reached
// Instagram, so it is not paced again.
func (p *WorkerPool) run(ctx context.Context, link Link, target string) (*workerResponse, error) {
	for retried := false; ; retried = true {
		w, err := p.acquire(ctx)
		if err != nil {
			return nil, err
		}
		if !retried {
			if err = waitForPacer(ctx, p.cfg.Ytdlp.Pacer); err != nil {
				p.release(w, nil)
				return nil, err
			}
		}
		// The caller's logger names the link (the queue's job fields).
		log := zerolog.Ctx(ctx).With().Int("worker_pid", w.cmd.Process.Pid).Logger()
		start := time.Now()
		resp, err := w.extract(ctx, target, link.Kind == LinkStory)
		if err == nil {
			err = p.responseError(resp)
		}
		log.Debug().Dur("took", time.Since(start)).Err(err).Msg("yt-dlp worker finished")
		p.release(w, err)
		if !retried && errors.Is(err, errWorkerDiedIdle) {
			log.Warn().Err(err).Msg("The yt-dlp worker had died; retrying with another one")
			continue
		}
		return resp, err
	}
}

// responseError classifies a failure yt-dlp reported in resp; nil when it succeeded.
func (p *WorkerPool) responseError(resp *workerResponse) error {
	if resp.OK {
		return nil
	}
	class := ClassifyWorkerError(*resp.Error, resp.Warnings, p.cfg.Ytdlp.CookiesFile != "")
	return &FetchError{Class: class, Message: trimYtdlpMessage(resp.Error.Message)}
}

// acquire takes a free worker, starting one when its slot has none.
func (p *WorkerPool) acquire(ctx context.Context) (*worker, error) {
	var w *worker
	select {
	case w = <-p.slots:
	case <-ctx.Done():
		return nil, fmt.Errorf("failed to wait for a yt-dlp worker: %w", context.Cause(ctx))
	case <-p.ctx.Done():
		return nil, ErrPoolClosed
	}
	if p.ctx.Err() != nil {
		p.slots <- w // for Close to stop
		return nil, ErrPoolClosed
	}
	if w != nil {
		return w, nil
	}
	// The worker outlives this request: it logs with the pool's logger.
	w, err := startWorker(p.log.WithContext(ctx), p.cfg.Ytdlp, p.cfg.StartTimeout)
	if err != nil {
		p.slots <- nil
		if ctx.Err() != nil {
			return nil, fmt.Errorf("failed to start a yt-dlp worker: %w", context.Cause(ctx))
		}
		return nil, &FetchError{Class: ClassExtractorBroken, Message: "failed to start a yt-dlp worker", Err: err}
	}
	return w, nil
}

// release returns w to its slot, or replaces it when it is used up or no longer trusted.
func (p *WorkerPool) release(w *worker, err error) {
	if !w.dead && w.requests < p.cfg.MaxRequests && ClassOf(err) != ClassExtractorBroken {
		p.slots <- w
		return
	}
	p.restarts.Add(1)
	p.replace(w)
}

// replace stops old (when there is one) and fills its slot with a fresh worker in the
// background, so that the next request finds it warm. A worker that fails to start leaves the
// slot empty; the next request tries again and reports the error.
func (p *WorkerPool) replace(old *worker) {
	if old != nil {
		p.bg.Go(old.stop)
	}
	p.bg.Go(func() {
		var w *worker
		if p.ctx.Err() == nil {
			var err error
			if w, err = startWorker(p.ctx, p.cfg.Ytdlp, p.cfg.StartTimeout); err != nil && p.ctx.Err() == nil {
				p.log.Warn().Err(err).Msg("Failed to start a yt-dlp worker")
			}
		}
		p.slots <- w
	})
}

// Close stops every worker and waits for them. Requests in flight finish first (each is bounded
// by the timeout); waiting and later ones fail with ErrPoolClosed.
func (p *WorkerPool) Close() error {
	p.close.Do(func() {
		p.cancel()
		for range p.cfg.Workers {
			if w := <-p.slots; w != nil {
				p.bg.Go(w.stop)
			}
		}
		p.bg.Wait()
	})
	return nil
}
