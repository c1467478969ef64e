package dev.diffusion.worker;

import dev.diffusion.jobs.GenerationSpec;
import dev.diffusion.jobs.Job;
import dev.diffusion.pipeline.DiffusionPipeline;
import dev.diffusion.pipeline.GeneratedImage;
import dev.diffusion.pipeline.ImageSampling;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The jobs that share a worker's UNet calls: all of one model and one image size. {@link #step} advances every
 * image of every member with ONE call, each at its own timestep with its own text rows, guidance, scheduler and seed;
 * {@link #decode} turns the images wanted after a step into pixels with one VAE call. It drives the engine only: what
 * the outcome means for each job is the batcher's to say.
 */
final class DenoisingGroup {

    /** A job in the group: its images advance together, so the first one tells the job's progress. */
    record Member(Job job, DiffusionPipeline pipeline, List<ImageSampling> images, Instant deadline) {

        boolean done() {
            return images.get(0).done();
        }

        int stepsDone() {
            return images.get(0).stepsDone();
        }

        int totalSteps() {
            return images.get(0).totalSteps();
        }
    }

    /** What a decode gave: pixels per member, and the members whose decoding failed. */
    record Decoded(Map<Member, List<GeneratedImage>> images, Map<Member, RuntimeException> failures) {
    }

    private final List<Member> members = new ArrayList<>();

    List<Member> members() {
        return List.copyOf(members);
    }

    boolean isEmpty() {
        return members.isEmpty();
    }

    int size() {
        return members.size();
    }

    void add(Member member) {
        members.add(member);
    }

    void remove(Member member) {
        members.remove(member);
    }

    /** Any job fits an empty group; otherwise only jobs of the group's model and image size share its UNet calls. */
    boolean fits(GenerationSpec spec) {
        if (members.isEmpty()) {
            return true;
        }
        GenerationSpec group = members.get(0).job().spec();
        return spec.model().equals(group.model()) && spec.width() == group.width() && spec.height() == group.height();
    }

    /**
     * One UNet call for every image of every member. Returns the members whose images failed (a scheduler or its rows
     * went wrong), each with its cause; the others advanced. Throws only if the call itself failed.
     */
    Map<Member, RuntimeException> step() {
        DiffusionPipeline pipeline = members.get(0).pipeline();
        Map<ImageSampling, RuntimeException> failed =
                pipeline.step(members.stream().flatMap(member -> member.images().stream()).toList());
        Map<Member, RuntimeException> failures = new LinkedHashMap<>();
        for (Member member : members) {
            member.images().stream().map(failed::get).filter(Objects::nonNull).findFirst()
                    .ifPresent(cause -> failures.put(member, cause));
        }
        return failures;
    }

    /**
     * Decodes the wanted images of several members in one VAE call. If that call fails, each member is decoded alone,
     * so that only the member at fault fails.
     */
    Decoded decode(Map<Member, List<ImageSampling>> wanted) {
        Map<Member, List<GeneratedImage>> decoded = new LinkedHashMap<>();
        Map<Member, RuntimeException> failures = new LinkedHashMap<>();
        if (wanted.isEmpty()) {
            return new Decoded(decoded, failures);
        }
        DiffusionPipeline pipeline = members.get(0).pipeline();
        GenerationSpec size = members.get(0).job().spec();
        try {
            List<GeneratedImage> all = pipeline.decode(wanted.values().stream().flatMap(List::stream).toList(),
                    size.width(), size.height());
            int next = 0;
            for (Map.Entry<Member, List<ImageSampling>> entry : wanted.entrySet()) {
                decoded.put(entry.getKey(), all.subList(next, next + entry.getValue().size()));
                next += entry.getValue().size();
            }
        } catch (RuntimeException batchFailure) {
            for (Map.Entry<Member, List<ImageSampling>> entry : wanted.entrySet()) {
                try {
                    decoded.put(entry.getKey(), pipeline.decode(entry.getValue(), size.width(), size.height()));
                } catch (RuntimeException e) {
                    failures.put(entry.getKey(), e);
                }
            }
        }
        return new Decoded(decoded, failures);
    }
}
