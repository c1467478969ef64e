package dev.diffusion.jobs;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** In-process publish/subscribe of job events, per job id. Listeners run on the publisher's thread. */
public class LocalJobEvents implements JobEvents {

    private final Map<String, List<Consumer<JobEvent>>> listeners = new ConcurrentHashMap<>();

    @Override
    public AutoCloseable subscribe(String jobId, Consumer<JobEvent> listener) {
        listeners.computeIfAbsent(jobId, id -> new CopyOnWriteArrayList<>()).add(listener);
        return () -> listeners.computeIfPresent(jobId, (id, list) -> {
            list.remove(listener);
            return list.isEmpty() ? null : list;
        });
    }

    @Override
    public void publish(JobEvent event) {
        List<Consumer<JobEvent>> forJob = listeners.get(event.job().id());
        if (forJob != null) {
            forJob.forEach(listener -> listener.accept(event));
        }
    }
}
