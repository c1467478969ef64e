package dev.diffusion.jobs;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** In-process publish/subscribe of job events, per job id. Listeners run on the publisher's thread. */
public class LocalJobEvents implements JobEvents {

    private final Map<String, List<Consumer<JobEvent>>> listeners = new ConcurrentHashMap<>();
    private final Map<String, Integer> watchers = new ConcurrentHashMap<>();

    @Override
    public AutoCloseable subscribe(String jobId, Consumer<JobEvent> listener) {
        listeners.computeIfAbsent(jobId, id -> new CopyOnWriteArrayList<>()).add(listener);
        return () -> listeners.computeIfPresent(jobId, (id, list) -> {
            list.remove(listener);
            return list.isEmpty() ? null : list;
        });
    }

    @Override
    public AutoCloseable watch(String jobId) {
        watchers.merge(jobId, 1, Integer::sum);
        return () -> watchers.computeIfPresent(jobId, (id, count) -> count > 1 ? count - 1 : null);
    }

    @Override
    public boolean watched(String jobId) {
        return watchers.containsKey(jobId);
    }

    @Override
    public void publish(JobEvent event) {
        List<Consumer<JobEvent>> forJob = listeners.get(event.jobId());
        if (forJob != null) {
            forJob.forEach(listener -> listener.accept(event));
        }
    }
}
