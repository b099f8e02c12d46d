import { Inject, type Provider, type Type } from '@nestjs/common';
import { CommandHandler } from '@nestjs/cqrs';

/** One injection token per constructor parameter, in order: its class, or the symbol it is provided under. */
type Tokens<Deps extends unknown[]> = { readonly [K in keyof Deps]: Type<Deps[K]> | symbol };

/**
 * A class of libs/application (no decorators, so Nest cannot read its
 * constructor) as a Nest provider: built from the providers `inject` names,
 * in the order of its constructor's parameters.
 */
export function applicationProvider<T, Deps extends unknown[]>(
  type: new (...deps: Deps) => T,
  inject: NoInfer<Tokens<Deps>>,
): Provider {
  return { provide: type, useFactory: (...deps: Deps) => new type(...deps), inject: [...inject] };
}

/**
 * The Nest CQRS handler of `command`: it hands the command to `handler`, the
 * application's handler of it (libs/application), which does the work. The
 * controllers keep sending commands through the CommandBus.
 */
export function commandHandlerProviders<C extends object, R, Deps extends unknown[]>(
  command: Type<C>,
  handler: new (...deps: Deps) => { execute(command: C): Promise<R> },
  inject: NoInfer<Tokens<Deps>>,
): Provider[] {
  @CommandHandler(command)
  class NestCommandHandler {
    constructor(@Inject(handler) private readonly application: { execute(command: C): Promise<R> }) {}

    execute(message: C): Promise<R> {
      return this.application.execute(message);
    }
  }
  Object.defineProperty(NestCommandHandler, 'name', { value: `Nest${handler.name}` });
  return [applicationProvider(handler, inject), NestCommandHandler];
}
