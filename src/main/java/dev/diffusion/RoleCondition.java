package dev.diffusion;

import java.util.function.Predicate;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/** Matches beans to {@code diffusion.role}; an unknown role stops the start with a clear message. */
abstract class RoleCondition implements Condition {

    private final Predicate<ServiceRole> wanted;

    RoleCondition(Predicate<ServiceRole> wanted) {
        this.wanted = wanted;
    }

    @Override
    public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
        return wanted.test(ServiceRole.parse(context.getEnvironment().getProperty(ServiceRole.PROPERTY)));
    }

    static final class ServesApi extends RoleCondition {
        ServesApi() {
            super(ServiceRole::servesApi);
        }
    }

    static final class RunsWorkers extends RoleCondition {
        RunsWorkers() {
            super(ServiceRole::runsWorkers);
        }
    }
}
