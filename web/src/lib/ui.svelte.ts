// Small bits of state shared between screens.
export const ui = $state<{ helpOpen: boolean; focusSearch: boolean; lastList: string }>({
  helpOpen: false,
  focusSearch: false,
  lastList: '/',
});
