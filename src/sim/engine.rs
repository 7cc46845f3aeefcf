//! The continuous-batching loop of one replica, iteration by iteration, the way vLLM's V1
//! scheduler runs it: running sequences first (each decoding sequence one token, unfinished
//! prefills their next chunk), then waiting requests, all within a token budget per iteration,
//! `maxBatch` running sequences and the KV cache. Under optimistic admission (vLLM, SGLang),
//! when the cache cannot grow the newest running sequence is preempted; under reserve-full
//! admission (TensorRT-LLM's GUARANTEED_NO_EVICT) a request is admitted only when its whole
//! prompt and output fit.
//!
//! A preempted sequence's cache is freed but not forgotten: with prefix caching (on by default
//! in vLLM V1, SGLang's radix cache, TensorRT-LLM's block reuse) its blocks stay cached until
//! another sequence needs the room, and on readmission it recomputes only what was evicted.
//! Freed blocks are evicted oldest first (vLLM's free-block queue is least recently freed
//! first), so a request preempted while others wait behind it keeps most of its work.
//!
//! Decoding sequences are tracked in aggregate (their count and total context), and each is
//! found again only when it finishes (a heap keyed by the iteration it will finish in), so an
//! iteration costs O(log n) however large the batch.

use super::{Admission, RequestLatency, Settings, Trace};
use crate::perf::Batch;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Not arrived yet.
    Pending,
    Waiting,
    Prefilling,
    Decoding,
    Done,
    /// Longer than the whole KV cache: the engine refuses it.
    Rejected,
}

#[derive(Debug, Clone)]
pub(super) struct Request {
    pub arrival_s: f64,
    pub prompt_tokens: u32,
    pub output_tokens: u32,
    phase: Phase,
    /// Tokens to compute before the next output token: the prompt, or after a preemption the
    /// prompt and the tokens generated so far.
    prefill_target: u32,
    prefilled: u32,
    /// Output tokens emitted (while decoding: as of joining the decode set).
    generated: u32,
    join_iteration: u64,
    context_at_join: u32,
    /// While waiting after a preemption: the tokens of its context still in the prefix cache.
    cached: u32,
    /// Bumped on preemption, so a stale finish entry in the heap is recognised.
    epoch: u32,
    pub first_token_s: f64,
    last_token_s: f64,
    pub finish_s: f64,
}

impl Request {
    pub fn new(arrival_s: f64, prompt_tokens: u32, output_tokens: u32) -> Request {
        Request {
            arrival_s,
            prompt_tokens,
            output_tokens,
            phase: Phase::Pending,
            prefill_target: prompt_tokens,
            prefilled: 0,
            generated: 0,
            join_iteration: 0,
            context_at_join: 0,
            cached: 0,
            epoch: 0,
            first_token_s: f64::NAN,
            last_token_s: f64::NAN,
            finish_s: f64::NAN,
        }
    }

    pub fn completed(&self) -> bool {
        self.phase == Phase::Done
    }

    /// The latencies of a completed request.
    pub fn latency(&self) -> RequestLatency {
        RequestLatency {
            ttft_s: self.first_token_s - self.arrival_s,
            tpot_s: (self.output_tokens > 1)
                .then(|| (self.finish_s - self.first_token_s) / f64::from(self.output_tokens - 1)),
            e2e_s: self.finish_s - self.arrival_s,
            output_tokens: self.output_tokens,
        }
    }

    fn whole_tokens(&self) -> u64 {
        u64::from(self.prompt_tokens) + u64::from(self.output_tokens)
    }
}

/// The measurement window: it opens when request `first_measured` arrives and closes when
/// request `end_measured` does; for offline loads it is the whole run.
struct Window {
    first_measured: usize,
    end_measured: usize,
    start_s: Option<f64>,
    end_s: Option<f64>,
    whole_run: bool,
}

impl Window {
    fn is_open(&self) -> bool {
        self.whole_run || (self.start_s.is_some() && self.end_s.is_none())
    }
}

/// Told each measured request's latencies as it completes; true ends the run (its question is
/// answered: see `simulate_until`).
pub(super) type StopRule<'a> = Box<dyn FnMut(&RequestLatency) -> bool + 'a>;

pub(super) struct Engine<'a, F: FnMut(&Batch) -> f64> {
    settings: &'a Settings,
    step_time_s: F,
    stop: Option<StopRule<'a>>,
    pub requests: Vec<Request>,
    /// Requests `..issued` may arrive (closed loop: one more is issued per completion).
    issued: usize,
    next_to_arrive: usize,
    closed_loop: bool,
    waiting: VecDeque<u32>,
    prefilling: VecDeque<u32>,
    /// Running requests in admission order (newest last); finished ones are removed lazily.
    running_order: Vec<u32>,
    running: u32,
    decoding: u64,
    /// KV tokens held by decoding sequences.
    decode_context_tokens: u64,
    /// KV tokens held by unfinished prefills.
    prefill_tokens_held: u64,
    /// KV tokens reserved for whole requests (reserve-full admission).
    reserved_tokens: u64,
    /// Freed but still cached: the contexts of preempted requests, evictable.
    cached_tokens: u64,
    /// (request, epoch) of preempted requests holding cached tokens, first preempted first.
    cached_order: VecDeque<(u32, u32)>,
    /// (iteration in which the request emits its last token, request, epoch).
    finishes: BinaryHeap<Reverse<(u64, u32, u32)>>,
    iteration: u64,
    now_s: f64,
    window: Window,
    pub trace: Trace,
    chunks: Vec<(u32, u32)>,
}

impl<'a, F: FnMut(&Batch) -> f64> Engine<'a, F> {
    /// `issued`: how many requests may arrive from the start (all but a closed loop's).
    /// `measured`: the range of request indices whose arrivals open and close the window.
    pub fn new(
        settings: &'a Settings,
        requests: Vec<Request>,
        issued: usize,
        measured: (usize, usize),
        whole_run: bool,
        step_time_s: F,
        stop: Option<StopRule<'a>>,
    ) -> Self {
        Engine {
            settings,
            step_time_s,
            stop,
            closed_loop: issued < requests.len(),
            requests,
            issued,
            next_to_arrive: 0,
            waiting: VecDeque::new(),
            prefilling: VecDeque::new(),
            running_order: Vec::new(),
            running: 0,
            decoding: 0,
            decode_context_tokens: 0,
            prefill_tokens_held: 0,
            reserved_tokens: 0,
            cached_tokens: 0,
            cached_order: VecDeque::new(),
            finishes: BinaryHeap::new(),
            iteration: 0,
            now_s: 0.0,
            window: Window {
                first_measured: measured.0,
                end_measured: measured.1,
                start_s: None,
                end_s: None,
                whole_run,
            },
            trace: Trace::default(),
            chunks: Vec::new(),
        }
    }

    /// Runs until every request has finished or been rejected, or `max_iterations` pass, or
    /// `max_steps` iteration times have been computed.
    /// A run cut short with work left is `truncated`, and `out_of_steps` when the steps ran out.
    pub fn run(&mut self, max_iterations: u64, max_steps: u64) {
        while !self.trace.stopped {
            let refused = self.take_arrivals();
            self.issue_next(refused);
            if self.running == 0 && self.waiting.is_empty() {
                if self.next_to_arrive >= self.issued {
                    break;
                }
                // Idle until the next arrival (a time that is not finite never comes).
                let next_s = self.requests[self.next_to_arrive].arrival_s;
                if !next_s.is_finite() {
                    break;
                }
                self.now_s = self.now_s.max(next_s);
                continue;
            }
            if self.iteration >= max_iterations || self.trace.steps >= max_steps {
                self.trace.truncated = true;
                self.trace.out_of_steps = self.trace.steps >= max_steps;
                break;
            }
            if self.coast(max_iterations, max_steps) > 0 {
                continue;
            }
            let completions = self.step();
            self.issue_next(completions as usize);
        }
        self.trace.window_s = if self.window.whole_run {
            self.now_s
        } else {
            match self.window.start_s {
                Some(start) => self.window.end_s.unwrap_or(self.now_s) - start,
                None => 0.0,
            }
        };
        self.trace.end_s = self.now_s;
    }

    /// Runs iterations that only decode, as long as nothing else can happen in them: no prompt
    /// to prefill, no request arriving, none finishing, the cache room for the new tokens. Each
    /// is the iteration `step` would run (the same batch and records), without scheduling it,
    /// and up to `coast_stride` of them are costed at once, at their middle one (see
    /// `COAST_STRIDE`): at low load a request decodes alone for thousands of iterations, and
    /// those are most of a simulation's work. Returns how many it ran.
    fn coast(&mut self, max_iterations: u64, max_steps: u64) -> u64 {
        if !self.prefilling.is_empty() || self.decoding == 0 || !self.waiting_must_wait() {
            return 0;
        }
        let next_arrival_s = if self.next_to_arrive < self.issued {
            self.requests[self.next_to_arrive].arrival_s
        } else {
            f64::INFINITY
        };
        // The first iteration in which a decoding request emits its last token (a preempted
        // request's stale entry only stops the coasting early).
        let next_finish = self
            .finishes
            .peek()
            .map_or(u64::MAX, |Reverse((iteration, _, _))| *iteration);
        let optimistic = self.settings.admission == Admission::Optimistic;
        let capacity = self.settings.kv_capacity_tokens;
        let start = self.iteration;
        while self.iteration < max_iterations
            && self.trace.steps < max_steps
            && self.iteration < next_finish
            && next_arrival_s > self.now_s
            && (!optimistic || self.decode_context_tokens + self.decoding <= capacity)
        {
            // Iterations this run may cover: none past the next finish or the bound, nor (when
            // the engine admits optimistically) past the cache's room for their tokens.
            let mut stride = self
                .settings
                .coast_stride
                .max(1)
                .min(next_finish - self.iteration)
                .min(max_iterations - self.iteration);
            if optimistic {
                stride = stride.min((capacity - self.decode_context_tokens - self.decoding) / self.decoding + 1);
            }
            let mut duration_s = self.decode_step_s(stride);
            // ... nor past the iteration in which the next request arrives.
            if next_arrival_s.is_finite() && stride > 1 {
                let until_arrival = ((next_arrival_s - self.now_s) / duration_s).ceil();
                if until_arrival < stride as f64 {
                    stride = (until_arrival as u64).max(1);
                    duration_s = self.decode_step_s(stride);
                }
            }
            self.now_s += duration_s * stride as f64;
            self.iteration += stride;
            self.trace.iterations += stride;
            if self.window.is_open() {
                let tokens = self.decoding * stride;
                self.trace
                    .inter_token_gaps
                    .push((duration_s, u32::try_from(tokens).unwrap_or(u32::MAX)));
                self.trace.output_tokens_in_window += tokens;
            }
            self.decode_context_tokens += self.decoding * stride;
        }
        self.iteration - start
    }

    /// Whether no waiting request can be admitted before a decoding one finishes: there is none,
    /// or (no preempted request's cache to evict meanwhile) the batch limit or the token budget
    /// is reached, or the first in line does not fit the cache now, which decoding only fills.
    fn waiting_must_wait(&self) -> bool {
        let Some(&first) = self.waiting.front() else {
            return true;
        };
        if self.cached_tokens > 0 {
            return false;
        }
        let budget = u64::from(self.settings.max_batched_tokens).saturating_sub(self.decoding);
        if self.running >= self.settings.max_batch || budget == 0 {
            return true;
        }
        let request = &self.requests[first as usize];
        let capacity = self.settings.kv_capacity_tokens;
        match self.settings.admission {
            Admission::ReserveFull => self.reserved_tokens + request.whole_tokens() > capacity,
            Admission::Optimistic => {
                let kv_free = capacity.saturating_sub(self.decode_context_tokens + self.decoding);
                u64::from(request.prefill_target).min(budget) > kv_free
            }
        }
    }

    /// The mean time of the next `stride` decode-only iterations: the middle one's (a decode
    /// step's time is linear in the context it reads).
    fn decode_step_s(&mut self, stride: u64) -> f64 {
        let batch = self.decode_batch_after((stride - 1) as f64 / 2.0);
        self.trace.steps += 1;
        (self.step_time_s)(&batch)
    }

    /// The batch of this iteration's decodes: every decoding sequence, one token each, over its
    /// context and the token it adds.
    fn decode_batch(&self) -> Batch {
        self.decode_batch_after(0.0)
    }

    /// The decodes' batch `iterations` iterations on, their contexts grown a token each per
    /// iteration (a fraction: the mean of a run of them).
    fn decode_batch_after(&self, iterations: f64) -> Batch {
        let mut batch = Batch::default();
        batch.add_decode(
            self.decoding as f64,
            (self.decode_context_tokens + self.decoding) as f64 + self.decoding as f64 * iterations,
        );
        batch
    }

    /// Moves arrived requests to the queue; returns how many were refused (too long for the cache).
    fn take_arrivals(&mut self) -> usize {
        let mut refused = 0;
        while self.next_to_arrive < self.issued && self.requests[self.next_to_arrive].arrival_s <= self.now_s {
            let index = self.next_to_arrive;
            self.next_to_arrive += 1;
            let request = &mut self.requests[index];
            if index == self.window.first_measured {
                self.window.start_s = Some(request.arrival_s);
                self.trace.waiting_at_window_start = self.waiting.len() as u64;
            }
            if index == self.window.end_measured {
                self.window.end_s = Some(request.arrival_s);
                self.trace.waiting_at_window_end = Some(self.waiting.len() as u64);
            }
            if self.window.is_open() {
                self.trace.arrivals_in_window += 1;
            }
            // A request longer than the whole cache can never run; the engine refuses it.
            if request.whole_tokens() > self.settings.kv_capacity_tokens {
                request.phase = Phase::Rejected;
                self.trace.rejected += 1;
                refused += 1;
            } else {
                request.phase = Phase::Waiting;
                self.waiting.push_back(index as u32);
            }
        }
        refused
    }

    /// A closed loop's users whose requests ended (completed or refused) send their next now.
    fn issue_next(&mut self, ended: usize) {
        if self.closed_loop {
            let more = ended.min(self.requests.len() - self.issued);
            for request in &mut self.requests[self.issued..self.issued + more] {
                request.arrival_s = self.now_s;
            }
            self.issued += more;
        }
    }

    /// Preempts the newest running request: its cache is freed (but stays cached until evicted)
    /// and it waits at the head of the queue to compute its prompt and the tokens it already
    /// generated again, less what is still cached.
    fn preempt_newest(&mut self) -> bool {
        while let Some(id) = self.running_order.pop() {
            let request = &mut self.requests[id as usize];
            let freed_tokens = match request.phase {
                Phase::Decoding => {
                    let decoded_since_join = self.iteration - request.join_iteration;
                    request.generated += decoded_since_join as u32;
                    if decoded_since_join > 0 {
                        // Its latest token came out of the iteration that just ended.
                        request.last_token_s = self.now_s;
                    }
                    self.decoding -= 1;
                    let context = u64::from(request.context_at_join) + decoded_since_join;
                    self.decode_context_tokens -= context;
                    context
                }
                Phase::Prefilling => {
                    self.prefill_tokens_held -= u64::from(request.prefilled);
                    self.prefilling.retain(|&other| other != id);
                    u64::from(request.prefilled)
                }
                _ => continue,
            };
            let request = &mut self.requests[id as usize];
            if self.settings.admission == Admission::ReserveFull {
                self.reserved_tokens -= request.whole_tokens();
            }
            request.phase = Phase::Waiting;
            request.epoch += 1;
            request.prefill_target = request.prompt_tokens + request.generated;
            request.prefilled = 0;
            request.cached = freed_tokens as u32;
            self.cached_tokens += freed_tokens;
            self.cached_order.push_back((id, request.epoch));
            self.running -= 1;
            self.waiting.push_front(id);
            self.trace.preemptions += 1;
            return true;
        }
        false
    }

    /// Plans the iteration into `self.chunks` and returns its batch, or `None` when nothing
    /// can run.
    fn schedule(&mut self) -> Option<Batch> {
        let capacity = self.settings.kv_capacity_tokens;
        let optimistic = self.settings.admission == Admission::Optimistic;
        let preemptions_before = self.trace.preemptions;
        if optimistic {
            // Every decoding sequence adds a token to the cache this iteration.
            while self.decode_context_tokens + self.prefill_tokens_held + self.decoding > capacity {
                if !self.preempt_newest() {
                    break;
                }
            }
        }
        // An iteration that had to preempt admits no waiting request, the preempted one
        // included: the cache is short already (vLLM's V1 scheduler skips its waiting queue
        // whenever it preempted in that step).
        let admits = self.trace.preemptions == preemptions_before;
        let mut budget = u64::from(self.settings.max_batched_tokens).saturating_sub(self.decoding);
        let mut kv_free =
            capacity.saturating_sub(self.decode_context_tokens + self.prefill_tokens_held + self.decoding);
        self.chunks.clear();

        // Unfinished prefills continue first, in admission order.
        for &id in &self.prefilling {
            let request = &self.requests[id as usize];
            let mut chunk = u64::from(request.prefill_target - request.prefilled).min(budget);
            if optimistic {
                chunk = chunk.min(kv_free);
                kv_free -= chunk;
            }
            if chunk == 0 {
                break;
            }
            budget -= chunk;
            self.chunks.push((id, chunk as u32));
        }
        // Then waiting requests, while the budget, maxBatch and the cache allow. A preempted one
        // takes back its cached tokens (all but the last, which is recomputed for its logits,
        // as vLLM does on a full prefix hit) and prefills the rest.
        while admits && budget > 0 && self.running < self.settings.max_batch {
            let Some(&id) = self.waiting.front() else { break };
            let request = &self.requests[id as usize];
            let reused = request.cached.min(request.prefill_target - 1);
            let chunk = u64::from(request.prefill_target - reused).min(budget);
            if optimistic {
                if u64::from(reused) + chunk > kv_free {
                    break;
                }
                kv_free -= u64::from(reused) + chunk;
            } else {
                if self.reserved_tokens + request.whole_tokens() > capacity {
                    break;
                }
                self.reserved_tokens += request.whole_tokens();
            }
            self.waiting.pop_front();
            let request = &mut self.requests[id as usize];
            request.phase = Phase::Prefilling;
            request.prefilled = reused;
            self.trace.discarded_tokens += u64::from(request.cached - reused);
            self.cached_tokens -= u64::from(request.cached);
            request.cached = 0;
            self.prefill_tokens_held += u64::from(reused);
            self.prefilling.push_back(id);
            self.running_order.push(id);
            self.running += 1;
            budget -= chunk;
            self.chunks.push((id, chunk as u32));
        }
        if self.decoding == 0 && self.chunks.is_empty() {
            return None;
        }
        let mut batch = self.decode_batch();
        for &(id, chunk) in &self.chunks {
            let request = &self.requests[id as usize];
            let completes = request.prefilled + chunk == request.prefill_target;
            batch.add_prefill_chunk(f64::from(request.prefilled), f64::from(chunk), completes);
        }
        Some(batch)
    }

    /// One engine iteration. Returns how many requests completed in it.
    fn step(&mut self) -> u32 {
        let Some(batch) = self.schedule() else {
            // Unfinished prefills hold the whole cache and nothing decodes: free the newest. With
            // nothing running at all the head of the queue cannot be admitted (requests longer
            // than the cache are refused on arrival, so this should not happen): refuse it
            // rather than spin.
            if !self.preempt_newest() {
                if let Some(id) = self.waiting.pop_front() {
                    self.requests[id as usize].phase = Phase::Rejected;
                    self.trace.rejected += 1;
                }
            }
            return 0;
        };
        let duration_s = (self.step_time_s)(&batch);
        self.trace.steps += 1;
        self.now_s += duration_s;
        let this_iteration = self.iteration;
        self.iteration += 1;
        self.trace.iterations += 1;
        let in_window = self.window.is_open();
        if in_window && self.decoding > 0 {
            self.trace.inter_token_gaps.push((duration_s, self.decoding as u32));
        }
        let mut tokens_emitted = self.decoding;
        self.decode_context_tokens += self.decoding;

        // Prefill progress; a completed prefill emits a token and joins the decode set.
        let mut completions = 0;
        for index in 0..self.chunks.len() {
            let (id, chunk) = self.chunks[index];
            let request = &mut self.requests[id as usize];
            request.prefilled += chunk;
            self.prefill_tokens_held += u64::from(chunk);
            self.trace.prefilled_tokens += u64::from(chunk);
            if request.prefilled < request.prefill_target {
                continue;
            }
            self.prefill_tokens_held -= u64::from(request.prefill_target);
            if request.generated == 0 {
                request.first_token_s = self.now_s;
            } else if in_window {
                // A resumed request: its gap spans the wait since its last token.
                self.trace.inter_token_gaps.push((self.now_s - request.last_token_s, 1));
            }
            request.generated += 1;
            request.last_token_s = self.now_s;
            tokens_emitted += 1;
            if request.generated >= request.output_tokens {
                completions += self.complete(id);
                continue;
            }
            request.phase = Phase::Decoding;
            request.join_iteration = this_iteration + 1;
            request.context_at_join = request.prefill_target;
            let finish_iteration = request.join_iteration + u64::from(request.output_tokens - request.generated) - 1;
            self.finishes.push(Reverse((finish_iteration, id, request.epoch)));
            self.decoding += 1;
            self.decode_context_tokens += u64::from(request.prefill_target);
        }
        let requests = &self.requests;
        self.prefilling
            .retain(|&id| requests[id as usize].phase == Phase::Prefilling);

        // Decoding requests whose last token this iteration produced.
        while let Some(&Reverse((finish_iteration, id, epoch))) = self.finishes.peek() {
            if finish_iteration > this_iteration {
                break;
            }
            self.finishes.pop();
            let request = &mut self.requests[id as usize];
            if request.epoch != epoch || request.phase != Phase::Decoding {
                continue;
            }
            // It decoded in iterations join..=this, one token each.
            self.decoding -= 1;
            self.decode_context_tokens -=
                u64::from(request.context_at_join) + (self.iteration - request.join_iteration);
            request.generated = request.output_tokens;
            request.last_token_s = self.now_s;
            completions += self.complete(id);
        }
        if in_window {
            self.trace.output_tokens_in_window += tokens_emitted;
            self.trace.completions_in_window += u64::from(completions);
        }
        self.evict_cached();
        completions
    }

    /// Evicts cached contexts of preempted requests, first preempted first, until the running
    /// sequences' cache and what stays cached fit the capacity; evicted tokens are work thrown
    /// away, to be computed again.
    fn evict_cached(&mut self) {
        let held = self.decode_context_tokens + self.prefill_tokens_held;
        let mut excess = (held + self.cached_tokens).saturating_sub(self.settings.kv_capacity_tokens);
        while excess > 0 {
            let Some(&(id, epoch)) = self.cached_order.front() else {
                break;
            };
            let request = &mut self.requests[id as usize];
            if request.epoch != epoch || request.cached == 0 {
                self.cached_order.pop_front();
                continue;
            }
            let evicted = excess.min(u64::from(request.cached));
            request.cached -= evicted as u32;
            self.cached_tokens -= evicted;
            self.trace.discarded_tokens += evicted;
            excess -= evicted;
        }
    }

    fn complete(&mut self, id: u32) -> u32 {
        let request = &mut self.requests[id as usize];
        request.phase = Phase::Done;
        request.finish_s = self.now_s;
        let measured = (self.window.first_measured..self.window.end_measured).contains(&(id as usize));
        if let (true, Some(stop)) = (measured, self.stop.as_mut()) {
            if stop(&request.latency()) {
                self.trace.stopped = true;
            }
        }
        let request = &mut self.requests[id as usize];
        self.running -= 1;
        if self.settings.admission == Admission::ReserveFull {
            self.reserved_tokens -= request.whole_tokens();
        }
        // Finished requests leave the admission order lazily: from its tail at once, from the
        // middle when they pile up.
        let requests = &self.requests;
        let is_running = |id: &u32| matches!(requests[*id as usize].phase, Phase::Prefilling | Phase::Decoding);
        while self.running_order.last().is_some_and(|id| !is_running(id)) {
            self.running_order.pop();
        }
        if self.running_order.len() > 2 * self.running as usize + 64 {
            self.running_order.retain(is_running);
        }
        1
    }
}
