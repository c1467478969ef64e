package dev.diffusion.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The annotated test class runs against {@link TestRedisServer}'s Redis; where none can be found, each of its tests is
 * reported as skipped with the reason, before any set-up or clean-up of the class runs.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Inherited
@ExtendWith(RequiresRedis.Condition.class)
public @interface RequiresRedis {

    final class Condition implements ExecutionCondition {

        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            TestRedisServer.Found redis = TestRedisServer.find();
            return redis.url() != null
                    ? ConditionEvaluationResult.enabled("Redis at " + redis.url())
                    : SkipReasons.disabled(redis.reason());
        }
    }
}
